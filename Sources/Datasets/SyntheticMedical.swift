// Medical-like images shared by Fed-SLAKE, Fed-RadGenome and Fed-Med.
//
// Anatomy is a handful of ellipses and polygons in a body frame (body about 0.9 wide,
// centred at the origin), placed into the image by a random scale, rotation and shift.
// Each tissue has a gray level per modality, so the same anatomy looks different in CT
// (bright bone, dark lungs, mid-gray soft tissue), MRI (bright fat, dark bone, softer edges,
// stronger texture) and X-ray (a frontal projection: ribs, clavicles and spine shining
// through dark lungs). Lesions are small blobs contrasting with the organ they sit in.

/// The three imaging modalities of SLAKE; the raw values are SLAKE's answer strings.
enum MedicalModality: String, CaseIterable {
    case ct = "CT"
    case mri = "MRI"
    case xray = "X-Ray"
}

/// Body regions; the raw values are the answers to "Which part of the body ...?".
enum MedicalBodyPart: String, CaseIterable {
    case head = "Head"
    case chest = "Chest"
    case abdomen = "Abdomen"

    /// The organs a question may ask about that are visible in this region.
    var organs: [String] {
        switch self {
        case .head: return ["brain"]
        case .chest: return ["lung", "heart"]
        case .abdomen: return ["liver", "kidney"]
        }
    }
}

/// Materials with a gray level per modality.
enum MedicalTissue {
    case background, fat, soft, cavity, lung, heart, liver, kidney, spleen, stomach, gas, bone, brain, fluid

    func level(_ modality: MedicalModality) -> Double {
        // (CT, MRI T1-like, X-ray): CT and X-ray make bone bright and air dark; T1 MRI makes fat
        // bright and cortical bone dark.
        let levels: (Double, Double, Double)
        switch self {
        case .background: levels = (0.02, 0.03, 0.05)
        case .fat: levels = (0.30, 0.82, 0.33)
        case .soft: levels = (0.46, 0.42, 0.45)
        case .cavity: levels = (0.34, 0.68, 0.50)
        case .lung: levels = (0.07, 0.06, 0.13)
        case .heart: levels = (0.57, 0.30, 0.78)
        case .liver: levels = (0.63, 0.50, 0.57)
        case .kidney: levels = (0.76, 0.44, 0.58)
        case .spleen: levels = (0.55, 0.40, 0.55)
        case .stomach: levels = (0.40, 0.30, 0.32)
        case .gas: levels = (0.03, 0.03, 0.16)
        case .bone: levels = (0.95, 0.14, 0.93)
        case .brain: levels = (0.50, 0.64, 0.42)
        case .fluid: levels = (0.20, 0.12, 0.62)
        }
        switch modality {
        case .ct: return levels.0
        case .mri: return levels.1
        case .xray: return levels.2
        }
    }
}

/// One paint operation of an anatomy: a filled (or stroked) shape of one tissue; `organ`
/// names it for boxes ("lung" for both lungs, "abdomen" for the abdominal cavity).
struct MedicalLayer {
    var shape: SyntheticShape
    var tissue: MedicalTissue
    var organ: String?
    var lineWidth: Double?
    var opacity: Double = 1
}

/// An ellipse inside an organ where a lesion may sit, e.g. "lung-left".
struct MedicalSite {
    var center: SyntheticPoint
    var radiusX: Double
    var radiusY: Double
    /// The organ's tissue, which the lesion contrasts with.
    var tissue: MedicalTissue
}

/// Abnormal findings drawn on top of the anatomy.
struct MedicalFindings {
    /// A focal lesion: site key ("lung-left", "liver", ...), offset inside the site in units of
    /// its radii (|offset| <= 0.5), radius in body units.
    var lesion: (site: String, offsetX: Double, offsetY: Double, radius: Double)?
    /// An enlarged heart (cardiomegaly): the heart is drawn 1.4 times wider.
    var enlargedHeart = false
    /// A pleural effusion at the base of the lung on this image side ("left"/"right").
    var effusionSide: String?
}

/// An image with the boxes of its named organs (normalised, clipped to the image).
struct MedicalRendering {
    var image: Image
    var organBoxes: [String: BoundingBox]
    var lesionBox: BoundingBox?
    /// The body outline's box: where the patient lies in the image.
    var bodyBox: BoundingBox
    /// The placed organ shapes, for checks that a box matches the pixels.
    var organShapes: [String: [SyntheticShape]]
}

enum SyntheticMedical {
    /// The lesion sites of each body region and the organ each belongs to.
    static func lesionSites(_ bodyPart: MedicalBodyPart) -> [(site: String, organ: String, side: String)] {
        switch bodyPart {
        case .head: return [("brain-left", "brain", "left"), ("brain-right", "brain", "right")]
        case .chest: return [("lung-left", "lung", "left"), ("lung-right", "lung", "right")]
        case .abdomen: return [("liver", "liver", "left"), ("kidney-left", "kidney", "left"), ("kidney-right", "kidney", "right")]
        }
    }

    /// Draws a random lesion (offset and radius) for `site`.
    static func lesion(at site: String, random: inout SyntheticRandom) -> (site: String, offsetX: Double, offsetY: Double, radius: Double) {
        (site, random.uniform(-0.45, 0.45), random.uniform(-0.45, 0.45), random.uniform(0.05, 0.07))
    }

    // MARK: Anatomy in the body frame

    /// Axial (CT/MRI) or frontal (X-ray) anatomy with per-patient size jitter.
    static func anatomy(_ bodyPart: MedicalBodyPart, frontal: Bool, findings: MedicalFindings,
                        random: inout SyntheticRandom) -> (layers: [MedicalLayer], sites: [String: MedicalSite], body: SyntheticShape) {
        let aspect = random.uniform(0.9, 1.1)
        var layers: [MedicalLayer] = []
        var sites: [String: MedicalSite] = [:]
        func ellipse(_ x: Double, _ y: Double, _ rx: Double, _ ry: Double, _ rotation: Double = 0) -> SyntheticShape {
            .ellipse(center: SyntheticPoint(x, y), radiusX: rx, radiusY: ry, rotation: rotation)
        }
        let body: SyntheticShape
        switch (bodyPart, frontal) {
        case (.head, false):
            body = ellipse(0, 0, 0.34 * aspect, 0.42)
            layers.append(MedicalLayer(shape: body, tissue: .fat))
            layers.append(MedicalLayer(shape: ellipse(0, 0, 0.315 * aspect, 0.395), tissue: .bone))
            let brainX = 0.285 * aspect, brainY = 0.365
            layers.append(MedicalLayer(shape: ellipse(0, 0, brainX, brainY), tissue: .brain, organ: "brain"))
            let ventricle = random.uniform(0.8, 1.3)
            for side in [-1.0, 1.0] {
                layers.append(MedicalLayer(shape: ellipse(side * 0.045, -0.02, 0.03 * ventricle, 0.1 * ventricle, side * 0.3),
                                           tissue: .fluid))
            }
            layers.append(MedicalLayer(shape: .segment(from: SyntheticPoint(0, -0.34), to: SyntheticPoint(0, 0.34), thickness: 0.012),
                                       tissue: .fluid, opacity: 0.7))
            sites["brain-left"] = MedicalSite(center: SyntheticPoint(-0.14 * aspect, 0), radiusX: 0.1 * aspect, radiusY: 0.24, tissue: .brain)
            sites["brain-right"] = MedicalSite(center: SyntheticPoint(0.14 * aspect, 0), radiusX: 0.1 * aspect, radiusY: 0.24, tissue: .brain)
        case (.head, true):
            body = ellipse(0, 0, 0.34 * aspect, 0.43)
            layers.append(MedicalLayer(shape: body, tissue: .bone))
            layers.append(MedicalLayer(shape: ellipse(0, -0.03, 0.305 * aspect, 0.37), tissue: .brain, organ: "brain"))
            for side in [-1.0, 1.0] {
                layers.append(MedicalLayer(shape: ellipse(side * 0.12 * aspect, 0.16, 0.06, 0.05), tissue: .gas, opacity: 0.8))
            }
            layers.append(MedicalLayer(shape: ellipse(0, 0.34, 0.2 * aspect, 0.09), tissue: .bone, opacity: 0.8))
            sites["brain-left"] = MedicalSite(center: SyntheticPoint(-0.13 * aspect, -0.1), radiusX: 0.1 * aspect, radiusY: 0.16, tissue: .brain)
            sites["brain-right"] = MedicalSite(center: SyntheticPoint(0.13 * aspect, -0.1), radiusX: 0.1 * aspect, radiusY: 0.16, tissue: .brain)
        case (.chest, false):
            body = ellipse(0, 0, 0.45 * aspect, 0.33)
            layers.append(MedicalLayer(shape: body, tissue: .fat))
            layers.append(MedicalLayer(shape: ellipse(0, 0, 0.42 * aspect, 0.30), tissue: .soft))
            layers.append(MedicalLayer(shape: ellipse(0, 0.01, 0.385 * aspect, 0.27), tissue: .bone, lineWidth: 0.014, opacity: 0.8))
            for (side, key) in [(-1.0, "lung-left"), (1.0, "lung-right")] {
                let scale = random.uniform(0.85, 1.1)
                let center = SyntheticPoint(side * 0.19 * aspect, random.uniform(-0.04, 0.0))
                layers.append(MedicalLayer(shape: ellipse(center.x, center.y, 0.15 * scale * aspect, 0.2 * scale, side * 0.15),
                                           tissue: .lung, organ: "lung"))
                sites[key] = MedicalSite(center: center, radiusX: 0.12 * scale * aspect, radiusY: 0.16 * scale, tissue: .lung)
            }
            let heartScale = random.uniform(0.8, 1.25) * (findings.enlargedHeart ? 1.4 : 1)
            layers.append(MedicalLayer(shape: ellipse(random.uniform(0.01, 0.07), random.uniform(0.03, 0.09),
                                                      0.11 * heartScale, 0.085 * heartScale, random.uniform(-0.7, -0.3)),
                                       tissue: .heart, organ: "heart"))
            layers.append(MedicalLayer(shape: ellipse(0.06, 0.17, 0.028, 0.028), tissue: .heart))
            layers.append(MedicalLayer(shape: ellipse(0, 0.235, 0.045, 0.045), tissue: .bone))
        case (.chest, true):
            body = ellipse(0, 0.08, 0.44 * aspect, 0.56)
            layers.append(MedicalLayer(shape: body, tissue: .soft))
            for (side, key) in [(-1.0, "lung-left"), (1.0, "lung-right")] {
                let scale = random.uniform(0.88, 1.08)
                let center = SyntheticPoint(side * 0.18 * aspect, random.uniform(-0.05, -0.01))
                layers.append(MedicalLayer(shape: ellipse(center.x, center.y, 0.13 * scale * aspect, 0.27 * scale, side * 0.06),
                                           tissue: .lung, organ: "lung"))
                sites[key] = MedicalSite(center: center, radiusX: 0.1 * scale * aspect, radiusY: 0.22 * scale, tissue: .lung)
            }
            layers.append(MedicalLayer(shape: .box(x: -0.045, y: -0.32, width: 0.09, height: 0.32), tissue: .heart, opacity: 0.8))
            let heartScale = random.uniform(0.85, 1.1) * (findings.enlargedHeart ? 1.45 : 1)
            layers.append(MedicalLayer(shape: ellipse(0.05, 0.14 + random.uniform(-0.02, 0.02), 0.12 * heartScale, 0.1 * heartScale, -0.2),
                                       tissue: .heart, organ: "heart"))
            if let side = findings.effusionSide {
                let x = (side == "left" ? -1.0 : 1.0) * 0.18 * aspect
                layers.append(MedicalLayer(shape: ellipse(x, 0.2, 0.14 * aspect, 0.085), tissue: .fluid, opacity: 0.9))
            }
            for side in [-1.0, 1.0] {
                for rib in 0..<6 {
                    let y = -0.27 + Double(rib) * 0.09
                    layers.append(MedicalLayer(shape: .segment(from: SyntheticPoint(side * 0.03, y),
                                                               to: SyntheticPoint(side * 0.32 * aspect, y + 0.09), thickness: 0.02),
                                               tissue: .bone, opacity: 0.3))
                }
                layers.append(MedicalLayer(shape: .segment(from: SyntheticPoint(side * 0.04, -0.31),
                                                           to: SyntheticPoint(side * 0.3 * aspect, -0.35), thickness: 0.025),
                                           tissue: .bone, opacity: 0.6))
            }
            layers.append(MedicalLayer(shape: .box(x: -0.025, y: -0.45, width: 0.05, height: 0.95), tissue: .bone, opacity: 0.35))
        case (.abdomen, false):
            body = ellipse(0, 0, 0.45 * aspect, 0.35)
            layers.append(MedicalLayer(shape: body, tissue: .fat))
            layers.append(MedicalLayer(shape: ellipse(0, 0, 0.42 * aspect, 0.32), tissue: .soft))
            let cavityScale = random.uniform(0.92, 1.04)
            layers.append(MedicalLayer(shape: ellipse(0, -0.04, 0.36 * aspect * cavityScale, 0.22 * cavityScale),
                                       tissue: .cavity, organ: "abdomen"))
            let liverScale = random.uniform(0.8, 1.05)
            let liverCenter = SyntheticPoint(-0.15 * aspect, -0.06)
            layers.append(MedicalLayer(shape: ellipse(liverCenter.x, liverCenter.y, 0.16 * liverScale * aspect, 0.14 * liverScale, 0.2),
                                       tissue: .liver, organ: "liver"))
            sites["liver"] = MedicalSite(center: liverCenter, radiusX: 0.12 * liverScale * aspect, radiusY: 0.1 * liverScale, tissue: .liver)
            layers.append(MedicalLayer(shape: ellipse(0.15 * aspect, -0.09, 0.085, 0.065), tissue: .stomach))
            layers.append(MedicalLayer(shape: ellipse(0.15 * aspect, -0.12, 0.05, 0.025), tissue: .gas))
            layers.append(MedicalLayer(shape: ellipse(0.26 * aspect, 0.02, 0.045, 0.075, -0.4), tissue: .spleen))
            for (side, key) in [(-1.0, "kidney-left"), (1.0, "kidney-right")] {
                let scale = random.uniform(0.9, 1.1)
                let center = SyntheticPoint(side * 0.13 * aspect, 0.095)
                layers.append(MedicalLayer(shape: ellipse(center.x, center.y, 0.055 * scale, 0.075 * scale, side * 0.3),
                                           tissue: .kidney, organ: "kidney"))
                sites[key] = MedicalSite(center: center, radiusX: 0.03 * scale, radiusY: 0.045 * scale, tissue: .kidney)
            }
            layers.append(MedicalLayer(shape: ellipse(0, 0.245, 0.045, 0.045), tissue: .bone))
        case (.abdomen, true):
            body = ellipse(0, 0.02, 0.43 * aspect, 0.52)
            layers.append(MedicalLayer(shape: body, tissue: .soft))
            let liverCenter = SyntheticPoint(-0.17 * aspect, -0.22)
            layers.append(MedicalLayer(shape: ellipse(liverCenter.x, liverCenter.y, 0.19 * aspect, 0.12, 0.15), tissue: .liver, organ: "liver"))
            sites["liver"] = MedicalSite(center: liverCenter, radiusX: 0.14 * aspect, radiusY: 0.08, tissue: .liver)
            for (side, key) in [(-1.0, "kidney-left"), (1.0, "kidney-right")] {
                let center = SyntheticPoint(side * 0.14 * aspect, -0.02)
                layers.append(MedicalLayer(shape: ellipse(center.x, center.y, 0.055, 0.085, side * 0.25), tissue: .kidney, organ: "kidney"))
                sites[key] = MedicalSite(center: center, radiusX: 0.03, radiusY: 0.05, tissue: .kidney)
            }
            for _ in 0..<random.integer(in: 3...6) {
                layers.append(MedicalLayer(shape: ellipse(random.uniform(-0.25, 0.25) * aspect, random.uniform(0.05, 0.3),
                                                          random.uniform(0.025, 0.05), random.uniform(0.02, 0.04)),
                                           tissue: .gas, opacity: 0.8))
            }
            layers.append(MedicalLayer(shape: .box(x: -0.03, y: -0.45, width: 0.06, height: 0.8), tissue: .bone, opacity: 0.6))
            for side in [-1.0, 1.0] {
                layers.append(MedicalLayer(shape: .polygon([SyntheticPoint(side * 0.04, 0.3), SyntheticPoint(side * 0.36 * aspect, 0.24),
                                                            SyntheticPoint(side * 0.3 * aspect, 0.42), SyntheticPoint(side * 0.05, 0.45)]),
                                           tissue: .bone, opacity: 0.6))
            }
        }
        return (layers, sites, body)
    }

    // MARK: Rendering

    /// Draws one image and reports the boxes of its named organs.
    ///
    /// - Parameters:
    ///   - placement: body frame to image (scale, rotation, centre).
    ///   - size: square image side in pixels.
    static func render(modality: MedicalModality, bodyPart: MedicalBodyPart, findings: MedicalFindings,
                       placement: SyntheticTransform, size: Int, random: inout SyntheticRandom) -> MedicalRendering {
        let frontal = modality == .xray
        let (layers, sites, body) = anatomy(bodyPart, frontal: frontal, findings: findings, random: &random)
        var canvas = SyntheticCanvas(size: size, background: SyntheticPalette.gray(MedicalTissue.background.level(modality)))
        var organShapes: [String: [SyntheticShape]] = [:]
        for layer in layers {
            let placed = layer.shape.transformed(by: placement)
            let colour = SyntheticPalette.gray(layer.tissue.level(modality))
            if let lineWidth = layer.lineWidth {
                canvas.stroke(placed, colour, lineWidth: lineWidth * placement.scale, opacity: layer.opacity)
            } else {
                canvas.fill(placed, colour, opacity: layer.opacity)
            }
            if let organ = layer.organ { organShapes[organ, default: []].append(placed) }
        }
        let placedBody = body.transformed(by: placement)
        let texture: (amplitude: Double, cells: Int, grain: Double) =
            modality == .ct ? (0.05, 7, 0.025) : modality == .mri ? (0.1, 5, 0.035) : (0.06, 4, 0.02)
        canvas.addSoftNoise(amplitude: texture.amplitude, cells: texture.cells, random: &random, within: placedBody)

        var lesionBox: BoundingBox?
        if let lesion = findings.lesion {
            guard let site = sites[lesion.site] else {
                preconditionFailure("SyntheticMedical: no lesion site \(lesion.site) in \(bodyPart) (\(modality))")
            }
            let organLevel = site.tissue.level(modality)
            let lesionLevel = organLevel < 0.45 ? organLevel + 0.45 : organLevel - 0.38
            let radius = min(lesion.radius, 0.9 * min(site.radiusX, site.radiusY) + 0.02)
            let center = SyntheticPoint(site.center.x + lesion.offsetX * site.radiusX, site.center.y + lesion.offsetY * site.radiusY)
            let shape = SyntheticShape.ellipse(center: center, radiusX: radius, radiusY: radius * 0.85, rotation: 0.5)
                .transformed(by: placement)
            canvas.fill(shape, SyntheticPalette.gray(lesionLevel), opacity: 0.95)
            lesionBox = shape.bounds.clippedToUnitSquare()
        }
        if modality != .ct { canvas.blur() }
        canvas.addGrain(amplitude: texture.grain, random: &random)
        let boxes = organShapes.mapValues { unionBounds($0).clippedToUnitSquare() }
        return MedicalRendering(image: canvas.image, organBoxes: boxes, lesionBox: lesionBox,
                                bodyBox: placedBody.bounds.clippedToUnitSquare(), organShapes: organShapes)
    }

    /// A random placement of the body frame: scale in `scale`, centre within `shift` of the
    /// image centre, small rotation.
    static func placement(scale: ClosedRange<Double>, shift: Double, rotation: Double,
                          random: inout SyntheticRandom) -> SyntheticTransform {
        SyntheticTransform(scale: random.uniform(scale.lowerBound, scale.upperBound),
                           rotation: random.uniform(-rotation, rotation),
                           translation: SyntheticPoint(0.5 + random.uniform(-shift, shift), 0.5 + random.uniform(-shift, shift)))
    }
}

// Fed-FGVC stand-in: fine-grained classification of top-down aircraft silhouettes into 30
// "manufacturer" classes (paper, section 3: FGVC-Aircraft by manufacturer, 30 categories,
// up to 30 clients).
//
// Every class is one combination of three shared parts, 5 wing planforms x 3 engine layouts
// x 2 tail planforms = 30, so each class has neighbours that differ in a single detail (the
// engine layout, a few pixels, or the tail, a few more). Colour, pose, scale, position and
// background are nuisances drawn independently of the class, as in photographs of aircraft:
// only the shape tells the classes apart.

/// The Fed-FGVC generator.
enum SyntheticFGVC {
    /// The 30 manufacturers of FGVC-Aircraft, used as class names (the synthetic shapes do
    /// not imitate the real aircraft; the names only keep the label vocabulary familiar).
    static let manufacturers = [
        "ATR", "Airbus", "Antonov", "Beechcraft", "Boeing", "Bombardier Aerospace", "British Aerospace",
        "Canadair", "Cessna", "Cirrus Aircraft", "Dassault Aviation", "Dornier", "Douglas Aircraft Company",
        "Embraer", "Eurofighter", "Fairchild", "Fokker", "Gulfstream Aerospace", "Ilyushin",
        "Lockheed Corporation", "Lockheed Martin", "McDonnell Douglas", "Panavia", "Piper", "Robin", "Saab",
        "Supermarine", "Tupolev", "Yakovlev", "de Havilland",
    ]

    /// Wing planform: leading edge at the root (`rootY`, fuselage frame, nose at -0.5), root
    /// chord, half span, sweep (how far back the tip's leading edge sits) and tip chord.
    struct Wing {
        let name: String
        let rootY: Double, rootChord: Double, halfSpan: Double, sweep: Double, tipChord: Double
    }

    static let wings = [
        Wing(name: "straight", rootY: -0.06, rootChord: 0.16, halfSpan: 0.46, sweep: 0.00, tipChord: 0.10),
        Wing(name: "swept", rootY: -0.10, rootChord: 0.18, halfSpan: 0.44, sweep: 0.20, tipChord: 0.07),
        Wing(name: "delta", rootY: -0.16, rootChord: 0.50, halfSpan: 0.36, sweep: 0.42, tipChord: 0.05),
        Wing(name: "aft-swept", rootY: 0.04, rootChord: 0.16, halfSpan: 0.42, sweep: 0.20, tipChord: 0.07),
        Wing(name: "slender", rootY: -0.06, rootChord: 0.10, halfSpan: 0.52, sweep: 0.08, tipChord: 0.05),
    ]
    static let engineLayouts = ["two-wing", "four-wing", "two-rear"]
    static let tails = ["straight", "swept"]

    /// The parts of class `index`: wing = index / 6, engines = (index / 2) % 3, tail = index % 2.
    static func parts(ofClass index: Int) -> (wing: Int, engines: Int, tail: Int) {
        (index / 6, (index / 2) % 3, index % 2)
    }

    static let questions = [
        "What is the manufacturer of this aircraft?",
        "Which company made the aircraft in the image?",
        "Who manufactured this airplane?",
    ]

    /// The aircraft in its own frame: nose up at y = -0.5, tail at y = +0.5, wings along x.
    static func aircraft(classIndex: Int, body: RGBColour, livery: RGBColour) -> SyntheticSketch {
        let (wingIndex, engineLayout, tail) = parts(ofClass: classIndex)
        let wing = wings[wingIndex]
        let engineColour = SyntheticPalette.gray(0.18)
        let wingColour = SyntheticPalette.mix(body, SyntheticPalette.gray(0.4), 0.25)
        var sketch = SyntheticSketch()

        func wingPolygon(rootY: Double, rootChord: Double, halfSpan: Double, sweep: Double, tipChord: Double,
                         side: Double) -> SyntheticShape {
            let root = 0.04
            return .polygon([
                SyntheticPoint(side * root, rootY), SyntheticPoint(side * halfSpan, rootY + sweep),
                SyntheticPoint(side * halfSpan, rootY + sweep + tipChord), SyntheticPoint(side * root, rootY + rootChord),
            ])
        }
        // Engines under the wings are drawn first so the wing edge overlaps them slightly.
        let wingEngineXs: [Double] = engineLayout == 0 ? [0.42] : engineLayout == 1 ? [0.30, 0.62] : []
        for fraction in wingEngineXs {
            for side in [-1.0, 1.0] {
                let x = side * fraction * wing.halfSpan
                let y = wing.rootY + wing.sweep * fraction - 0.01
                sketch.fill(.ellipse(center: SyntheticPoint(x, y), radiusX: 0.04, radiusY: 0.075, rotation: 0), engineColour)
            }
        }
        for side in [-1.0, 1.0] {
            sketch.fill(wingPolygon(rootY: wing.rootY, rootChord: wing.rootChord, halfSpan: wing.halfSpan,
                                    sweep: wing.sweep, tipChord: wing.tipChord, side: side), wingColour)
            // Horizontal stabiliser: short and straight, or swept back like a V.
            if tail == 0 {
                sketch.fill(wingPolygon(rootY: 0.34, rootChord: 0.1, halfSpan: 0.21, sweep: 0.0, tipChord: 0.08,
                                        side: side), wingColour)
            } else {
                sketch.fill(wingPolygon(rootY: 0.28, rootChord: 0.1, halfSpan: 0.15, sweep: 0.17, tipChord: 0.05,
                                        side: side), wingColour)
            }
        }
        sketch.fill(.ellipse(center: SyntheticPoint(0, 0), radiusX: 0.06, radiusY: 0.5, rotation: 0), body)
        // Livery: a stripe along the fuselage and a painted tail cone (nuisance colour).
        sketch.fill(.segment(from: SyntheticPoint(0, -0.30), to: SyntheticPoint(0, 0.34), thickness: 0.035), livery)
        sketch.fill(.ellipse(center: SyntheticPoint(0, -0.40), radiusX: 0.032, radiusY: 0.045, rotation: 0),
                    SyntheticPalette.gray(0.15))
        if engineLayout == 2 {
            for side in [-1.0, 1.0] {
                sketch.fill(.ellipse(center: SyntheticPoint(side * 0.1, 0.2), radiusX: 0.04, radiusY: 0.08, rotation: 0),
                            engineColour)
            }
        }
        return sketch
    }

    /// Draws an aircraft of class `classIndex` with random background, livery and pose; the
    /// class changes only the aircraft's parts, so two calls with copies of one generator give
    /// images that differ exactly where the classes' parts differ.
    static func render(classIndex: Int, size: Int, random: inout SyntheticRandom) -> (image: Image, box: BoundingBox) {
        // Background: sky with clouds, grey tarmac with markings, or grass.
        let backgroundKind = random.index(below: 3)
        var canvas = SyntheticCanvas(size: size, background: SyntheticPalette.gray(0.5))
        switch backgroundKind {
        case 0:
            canvas.gradient(from: SyntheticPoint(0.5, 0), SyntheticPalette.jittered(RGBColour(red: 0.45, green: 0.65, blue: 0.92), by: 0.06, random: &random),
                            to: SyntheticPoint(0.5, 1), SyntheticPalette.jittered(RGBColour(red: 0.80, green: 0.88, blue: 0.97), by: 0.04, random: &random))
            canvas.addSoftNoise(amplitude: 0.12, cells: 4, random: &random)
        case 1:
            canvas.gradient(from: SyntheticPoint(0, 0), SyntheticPalette.gray(random.uniform(0.35, 0.5)),
                            to: SyntheticPoint(1, 1), SyntheticPalette.gray(random.uniform(0.45, 0.6)))
            canvas.addSoftNoise(amplitude: 0.06, cells: 8, random: &random)
            let y = random.uniform(0.1, 0.9)
            canvas.fill(.segment(from: SyntheticPoint(0, y), to: SyntheticPoint(1, y + random.uniform(-0.3, 0.3)),
                                 thickness: 0.02), SyntheticPalette.colour("yellow"), opacity: 0.7)
        default:
            canvas.gradient(from: SyntheticPoint(0.5, 0), SyntheticPalette.jittered(RGBColour(red: 0.35, green: 0.55, blue: 0.25), by: 0.05, random: &random),
                            to: SyntheticPoint(0.5, 1), SyntheticPalette.jittered(RGBColour(red: 0.45, green: 0.6, blue: 0.3), by: 0.05, random: &random))
            canvas.addSoftNoise(amplitude: 0.08, cells: 6, random: &random)
        }

        let bodyColours = [SyntheticPalette.gray(0.95), SyntheticPalette.gray(0.8),
                           RGBColour(red: 0.85, green: 0.9, blue: 0.97), RGBColour(red: 0.96, green: 0.93, blue: 0.82)]
        let body = SyntheticPalette.jittered(random.pick(bodyColours), by: 0.04, random: &random)
        let livery = SyntheticPalette.jittered(SyntheticPalette.named[random.index(below: 6)].colour, by: 0.05, random: &random)
        let sketch = aircraft(classIndex: classIndex, body: body, livery: livery)

        // Pose: heading within +-20 degrees of "nose up", length 70-90% of the image, centre jittered.
        let transform = SyntheticTransform(scale: random.uniform(0.7, 0.9), rotation: random.uniform(-0.35, 0.35),
                                           translation: SyntheticPoint(random.uniform(0.42, 0.58), random.uniform(0.42, 0.58)))
        // A soft shadow, offset as if the sun were at the top left.
        var shadow = SyntheticSketch()
        for operation in sketch.operations { shadow.fill(operation.shape, SyntheticPalette.gray(0.1), opacity: 0.15) }
        shadow.draw(on: &canvas, transform: SyntheticTransform(scale: transform.scale, rotation: transform.rotation,
                                                               translation: SyntheticPoint(transform.translation.x + 0.03,
                                                                                           transform.translation.y + 0.04)))
        let box = sketch.draw(on: &canvas, transform: transform)
        canvas.addGrain(amplitude: 0.03, random: &random)
        return (canvas.image, box)
    }

    static func sample(_ context: SyntheticSampleContext) -> Sample {
        var random = context.random(for: context.index)
        let classIndex = context.index % manufacturers.count
        let (image, box) = render(classIndex: classIndex, size: context.imageSize, random: &random)
        let (wing, engines, tail) = parts(ofClass: classIndex)
        let manufacturer = manufacturers[classIndex]
        return Sample(
            id: context.identifier(),
            image: image,
            conversations: SyntheticText.conversation(question: random.pick(questions),
                                                      answer: SyntheticText.answer(manufacturer)),
            task: .classification,
            category: manufacturer,
            attributes: [
                "manufacturer": manufacturer,
                "wing": wings[wing].name,
                "engines": engineLayouts[engines],
                "tail": tails[tail],
                SyntheticText.objectBoxAttribute: SyntheticText.boxList(box),
            ])
    }
}

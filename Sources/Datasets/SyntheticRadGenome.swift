// Fed-RadGenome stand-in: boxes of the heart, the lungs or the abdomen on CT-like axial
// slices (paper, section 3: RadGenome-Chest CT, two 2-D slices per volume with heart, lung
// and abdomen masks, 3 clients by organ).
//
// The box is the exact bounds of the organ's drawn shapes (both lungs together; the
// abdominal cavity for "abdomen"), clipped to the image. Body position, size and rotation
// vary, and so do the organ sizes, so a box cannot be guessed from the question.

/// The Fed-RadGenome generator; Fed-Med's detection client reuses `drawn(organ:size:random:)`.
enum SyntheticRadGenome {
    /// The partition attribute's values, in client order.
    static let organs = ["heart", "lung", "abdomen"]

    static func question(for organ: String, random: inout SyntheticRandom) -> String {
        random.pick([
            "Please locate the \(organ) in this CT slice.",
            "Where is the \(organ)? Answer with its coordinates.",
            "Give the bounding box of the \(organ).",
        ])
    }

    /// A CT slice showing `organ` (a chest slice for heart and lung, an upper-abdomen slice
    /// for the abdomen) and the organ's box.
    static func drawn(organ: String, size: Int, random: inout SyntheticRandom) -> (rendering: MedicalRendering, box: BoundingBox) {
        let bodyPart: MedicalBodyPart = organ == "abdomen" ? .abdomen : .chest
        var findings = MedicalFindings()
        findings.enlargedHeart = bodyPart == .chest && random.chance(0.25)
        if random.chance(0.3) {
            findings.lesion = SyntheticMedical.lesion(at: random.pick(SyntheticMedical.lesionSites(bodyPart)).site, random: &random)
        }
        let placement = SyntheticMedical.placement(scale: 0.55...1.0, shift: 0.15, rotation: 0.2, random: &random)
        let rendering = SyntheticMedical.render(modality: .ct, bodyPart: bodyPart, findings: findings,
                                                placement: placement, size: size, random: &random)
        guard let box = rendering.organBoxes[organ] else {
            preconditionFailure("SyntheticRadGenome: organ \(organ) not drawn in a \(bodyPart) slice")
        }
        return (rendering, box)
    }

    static func sample(_ context: SyntheticSampleContext) -> Sample {
        var random = context.random(for: context.index)
        let organ = organs[context.index % organs.count]
        let (rendering, box) = drawn(organ: organ, size: context.imageSize, random: &random)
        return Sample(
            id: context.identifier(),
            image: rendering.image,
            conversations: SyntheticText.conversation(question: question(for: organ, random: &random),
                                                      answer: SyntheticText.coordinates(box)),
            task: .grounding,
            category: organ,
            attributes: ["organ": organ, "modality": "CT"],
            boxes: [box])
    }
}

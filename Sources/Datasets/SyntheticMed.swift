// Fed-Med stand-in: a medical multitask dataset with one client per task (paper, section 3:
// VQA from SLAKE and VQA-RAD, report generation from MIMIC-CXR, detection from
// RadGenome-Chest CT; 3 clients).
//
// - VQA: the Fed-SLAKE scenes and questions; half of the open questions are asked VQA-RAD
//   style as multiple choice with lettered options ("The answer is B.").
// - Report generation: frontal chest X-ray-like images with three independent findings
//   (heart size, a lung opacity and its zone, a pleural effusion and its side) and a
//   three-sentence report composed from them.
// - Detection: the Fed-RadGenome slices and boxes.

/// The Fed-Med generator.
enum SyntheticMed {
    /// Tasks in client order.
    static let tasks: [TaskKind] = [.vqa, .reportGeneration, .grounding]

    static let reportPrompts = [
        "Write a report for this chest X-ray.",
        "Describe the findings in this chest radiograph.",
    ]

    /// A chest X-ray-like image and its report.
    static func report(size: Int, random: inout SyntheticRandom) -> (rendering: MedicalRendering, report: String, findings: [String: String]) {
        var findings = MedicalFindings()
        findings.enlargedHeart = random.chance(0.5)
        var opacity: (side: String, zone: String)?
        if random.index(below: 3) > 0 {
            let side = random.pick(["left", "right"])
            let zone = random.pick(["upper", "lower"])
            let offsetY = (zone == "upper" ? -1.0 : 1.0) * random.uniform(0.2, 0.45)
            findings.lesion = ("lung-\(side)", random.uniform(-0.35, 0.35), offsetY, random.uniform(0.06, 0.08))
            opacity = (side, zone)
        }
        if random.chance(0.5) { findings.effusionSide = random.pick(["left", "right"]) }
        let placement = SyntheticMedical.placement(scale: 0.85...1.0, shift: 0.04, rotation: 0.05, random: &random)
        let rendering = SyntheticMedical.render(modality: .xray, bodyPart: .chest, findings: findings,
                                                placement: placement, size: size, random: &random)
        let sentences = [
            findings.enlargedHeart ? "The heart is enlarged." : "The heart size is normal.",
            opacity.map { "There is an opacity in the \($0.side) \($0.zone) lung." } ?? "The lungs are clear.",
            findings.effusionSide.map { "There is a \($0) pleural effusion." } ?? "No pleural effusion.",
        ]
        let attributes = [
            "heart": findings.enlargedHeart ? "enlarged" : "normal",
            "opacity": opacity.map { "\($0.side) \($0.zone)" } ?? "none",
            "effusion": findings.effusionSide ?? "none",
        ]
        return (rendering, sentences.joined(separator: " "), attributes)
    }

    static func sample(_ context: SyntheticSampleContext) -> Sample {
        var random = context.random(for: context.index)
        let task = tasks[context.index % tasks.count]
        let size = context.imageSize
        switch task {
        case .vqa:
            let modality = random.pick(MedicalModality.allCases)
            let kind = random.pick(SyntheticSLAKE.QuestionKind.allCases)
            let drawn = SyntheticSLAKE.question(kind: kind, modality: modality, size: size, random: &random)
            var question = drawn.question
            var answer = drawn.answer
            var format = kind.isClosed ? "yes_no" : "open"
            if !kind.isClosed && random.chance(0.5) {
                // VQA-RAD style: up to three options, the correct one among them at a random letter.
                var others = drawn.possibleAnswers.filter { $0 != drawn.answer }
                random.shuffle(&others)
                var options = [drawn.answer] + others.prefix(2)
                random.shuffle(&options)
                let choice = SyntheticText.multipleChoice(question, options: options,
                                                          correct: options.firstIndex(of: drawn.answer)!)
                question = choice.question
                answer = choice.letter
                format = "multiple_choice"
            }
            var attributes = SyntheticSLAKE.attributes(drawn, modality: modality, format: format)
            attributes["source"] = "SLAKE & VQA-RAD"
            return Sample(id: context.identifier(), image: drawn.rendering.image,
                          conversations: SyntheticText.conversation(question: question, answer: SyntheticText.answer(answer)),
                          task: .vqa, answerType: format == "open" ? .open : .closed, category: task.rawValue,
                          attributes: attributes)
        case .reportGeneration:
            let (rendering, report, findings) = self.report(size: size, random: &random)
            var attributes = findings
            attributes["source"] = "MIMIC-CXR"
            attributes["modality"] = MedicalModality.xray.rawValue
            attributes[SyntheticText.objectBoxAttribute] = SyntheticText.boxList(rendering.bodyBox)
            return Sample(id: context.identifier(), image: rendering.image,
                          conversations: SyntheticText.conversation(question: random.pick(reportPrompts), answer: report),
                          task: .reportGeneration, category: task.rawValue, attributes: attributes)
        default:
            let organ = random.pick(SyntheticRadGenome.organs)
            let (rendering, box) = SyntheticRadGenome.drawn(organ: organ, size: size, random: &random)
            return Sample(id: context.identifier(), image: rendering.image,
                          conversations: SyntheticText.conversation(question: SyntheticRadGenome.question(for: organ, random: &random),
                                                                    answer: SyntheticText.coordinates(box)),
                          task: .grounding, category: task.rawValue,
                          attributes: ["organ": organ, "modality": "CT", "source": "RadGenome-Chest CT"], boxes: [box])
        }
    }
}

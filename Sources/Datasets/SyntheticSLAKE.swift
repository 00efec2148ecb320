// Fed-SLAKE stand-in: medical VQA over CT, MRI and X-ray-like images, partitioned by modality
// (paper, section 3: SLAKE, 3 clients by "modality", closed and open questions).
//
// Question kinds follow SLAKE's content types (modality, organ, abnormality, position). For
// every kind the scene is drawn *after* the answer, uniformly over the kind's answers, so the
// question text alone says nothing about the answer: a text-only model is at chance, and the
// image decides.

/// The Fed-SLAKE generator; Fed-Med's VQA client reuses `question(kind:modality:...)`.
enum SyntheticSLAKE {
    enum QuestionKind: String, CaseIterable {
        case modalityOpen, modalityClosed, bodyPartOpen, organClosed, abnormalityClosed, abnormalityOpen, positionOpen

        /// SLAKE's content type of the question.
        var contentType: String {
            switch self {
            case .modalityOpen, .modalityClosed: return "modality"
            case .bodyPartOpen, .organClosed: return "organ"
            case .abnormalityClosed, .abnormalityOpen: return "abnormality"
            case .positionOpen: return "position"
            }
        }

        var isClosed: Bool { self == .modalityClosed || self == .organClosed || self == .abnormalityClosed }
    }

    /// Organs that can carry a lesion, and the regions they are in.
    static let lesionOrgans: [(organ: String, bodyPart: MedicalBodyPart)] =
        [("brain", .head), ("lung", .chest), ("liver", .abdomen), ("kidney", .abdomen)]
    /// Organs a "Does the picture contain ...?" question may name.
    static let askableOrgans = ["brain", "lung", "heart", "liver", "kidney"]

    /// One drawn question: image, text, answer word, the possible answers of its kind.
    struct DrawnQuestion {
        var rendering: MedicalRendering
        var question: String
        var answer: String
        var possibleAnswers: [String]
        var kind: QuestionKind
        var bodyPart: MedicalBodyPart
        var organ: String?
    }

    /// Draws an answer uniformly for `kind`, then a scene of `modality` that makes it true.
    static func question(kind: QuestionKind, modality: MedicalModality, size: Int,
                         random: inout SyntheticRandom) -> DrawnQuestion {
        var bodyPart = random.pick(MedicalBodyPart.allCases)
        var findings = MedicalFindings()
        var organ: String?
        let question: String
        let answer: String
        let possibleAnswers: [String]
        func randomLesion() {
            findings.lesion = SyntheticMedical.lesion(at: random.pick(SyntheticMedical.lesionSites(bodyPart)).site, random: &random)
        }
        switch kind {
        case .modalityOpen:
            if random.chance(0.5) { randomLesion() }
            question = random.pick(["Which modality is used to take this image?", "What modality is shown in this image?"])
            answer = modality.rawValue
            possibleAnswers = MedicalModality.allCases.map(\.rawValue)
        case .modalityClosed:
            if random.chance(0.5) { randomLesion() }
            let asked = random.chance(0.5) ? modality : random.pick(MedicalModality.allCases.filter { $0 != modality })
            question = "Was this image taken with \(asked.rawValue)?"
            answer = asked == modality ? "Yes" : "No"
            possibleAnswers = ["Yes", "No"]
        case .bodyPartOpen:
            if random.chance(0.5) { randomLesion() }
            question = random.pick(["Which part of the body does this image belong to?", "Which body region is shown?"])
            answer = bodyPart.rawValue
            possibleAnswers = MedicalBodyPart.allCases.map(\.rawValue)
        case .organClosed:
            let asked = random.pick(askableOrgans)
            let present = random.chance(0.5)
            bodyPart = random.pick(MedicalBodyPart.allCases.filter { $0.organs.contains(asked) == present })
            if random.chance(0.5) { randomLesion() }
            organ = asked
            question = "Does the picture contain the \(asked)?"
            answer = present ? "Yes" : "No"
            possibleAnswers = ["Yes", "No"]
        case .abnormalityClosed:
            let abnormal = random.chance(0.5)
            if abnormal { randomLesion() }
            question = random.pick(["Does the picture contain any abnormality?", "Is there a lesion in this image?"])
            answer = abnormal ? "Yes" : "No"
            possibleAnswers = ["Yes", "No"]
        case .abnormalityOpen:
            let target = random.pick(lesionOrgans)
            bodyPart = target.bodyPart
            let site = random.pick(SyntheticMedical.lesionSites(bodyPart).filter { $0.organ == target.organ }).site
            findings.lesion = SyntheticMedical.lesion(at: site, random: &random)
            organ = target.organ
            question = random.pick(["Which organ is abnormal?", "Which organ has a lesion?"])
            answer = SyntheticText.capitalised(target.organ)
            possibleAnswers = lesionOrgans.map { SyntheticText.capitalised($0.organ) }
        case .positionOpen:
            let side = random.pick(["left", "right"])
            let target = random.pick(lesionOrgans.filter { $0.organ != "liver" })
            bodyPart = target.bodyPart
            findings.lesion = SyntheticMedical.lesion(at: "\(target.organ)-\(side)", random: &random)
            organ = target.organ
            question = "On which side of the image is the lesion?"
            answer = SyntheticText.capitalised(side)
            possibleAnswers = ["Left", "Right"]
        }
        let placement = modality == .xray
            ? SyntheticMedical.placement(scale: 0.85...1.0, shift: 0.04, rotation: 0.05, random: &random)
            : SyntheticMedical.placement(scale: 0.75...1.0, shift: 0.08, rotation: 0.15, random: &random)
        let rendering = SyntheticMedical.render(modality: modality, bodyPart: bodyPart, findings: findings,
                                                placement: placement, size: size, random: &random)
        return DrawnQuestion(rendering: rendering, question: question, answer: answer, possibleAnswers: possibleAnswers,
                             kind: kind, bodyPart: bodyPart, organ: organ)
    }

    /// The attributes every medical VQA sample carries.
    static func attributes(_ drawn: DrawnQuestion, modality: MedicalModality, format: String) -> [String: String] {
        var attributes = [
            "modality": modality.rawValue,
            "body_part": drawn.bodyPart.rawValue,
            "question_type": drawn.kind.contentType,
            "format": format,
        ]
        if let organ = drawn.organ { attributes["organ"] = organ }
        if let box = drawn.rendering.lesionBox { attributes["lesion_box"] = SyntheticText.boxList(box) }
        attributes[SyntheticText.objectBoxAttribute] = SyntheticText.boxList(drawn.rendering.bodyBox)
        return attributes
    }

    static func sample(_ context: SyntheticSampleContext) -> Sample {
        var random = context.random(for: context.index)
        // Modality is the partition attribute: it cycles so the three clients are balanced; the
        // question kind cycles within each modality.
        let modality = MedicalModality.allCases[context.index % 3]
        let kind = QuestionKind.allCases[(context.index / 3) % QuestionKind.allCases.count]
        let drawn = question(kind: kind, modality: modality, size: context.imageSize, random: &random)
        return Sample(
            id: context.identifier(),
            image: drawn.rendering.image,
            conversations: SyntheticText.conversation(question: drawn.question, answer: SyntheticText.answer(drawn.answer)),
            task: .vqa,
            answerType: kind.isClosed ? .closed : .open,
            category: modality.rawValue,
            attributes: attributes(drawn, modality: modality, format: kind.isClosed ? "yes_no" : "open"))
    }
}

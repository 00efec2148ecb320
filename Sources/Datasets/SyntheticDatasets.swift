// The registry of synthetic stand-ins for the paper's six federated datasets (Table 2,
// section 3 of FedVLMBench): names, Table-2 facts, sizes per preset and the shared
// generation loop.
//
// Every sample is drawn from its own random stream, derived from (seed, dataset name,
// split, index), so a sample does not depend on the preset or on the samples before it:
// the smoke set is a prefix of the quick set, which is a prefix of the full set. The
// partition attribute (`Sample.category`) cycles through its values with the index, so
// every category has the same number of samples whenever the split size is a multiple of
// the category count (all preset sizes are).

/// How much data to generate: `smoke` for tests (seconds), `quick` for a federated table in
/// minutes on a laptop (the default), `full` for runs closest to the paper's scale.
///
/// Train / test samples per dataset (`SyntheticDatasetKind.sizes(for:)`):
///
/// | dataset        | smoke | quick    | full        |
/// |----------------|-------|----------|-------------|
/// | fed-fgvc       | 60/30 | 1200/300 | 6000/1500   |
/// | fed-sciencecap | 54/27 | 1080/270 | 4050/1080   |
/// | fed-slake      | 48/24 | 960/240  | 6000/1500   |
/// | fed-radgenome  | 48/24 | 960/240  | 6000/1500   |
/// | fed-nature     | 48/24 | 1000/240 | 6000/1500   |
/// | fed-med        | 48/24 | 960/240  | 6000/1500   |
///
/// Fed-Nature counts samples; each scene gives four (one per task).
public enum DatasetPreset: String, Sendable, CaseIterable, Codable {
    case smoke
    case quick
    case full

    /// The preset called `name` (case-insensitive); throws listing the valid names otherwise.
    public init(named name: String) throws {
        guard let preset = DatasetPreset(rawValue: name.lowercased()) else {
            throw SyntheticDataError.unknownPreset(name, valid: DatasetPreset.allCases.map(\.rawValue))
        }
        self = preset
    }
}

/// Mistakes a caller can make when asking for synthetic data.
public enum SyntheticDataError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownDataset(String, valid: [String])
    case unknownPreset(String, valid: [String])
    case invalidImageSize(Int, allowed: ClosedRange<Int>)
    case invalidSampleCount(field: String, value: Int)

    public var description: String {
        switch self {
        case let .unknownDataset(name, valid):
            return "unknown synthetic dataset '\(name)'; valid names: \(valid.joined(separator: ", "))"
        case let .unknownPreset(name, valid):
            return "unknown dataset preset '\(name)'; valid presets: \(valid.joined(separator: ", "))"
        case let .invalidImageSize(size, allowed):
            return "imageSize \(size) is outside \(allowed.lowerBound)...\(allowed.upperBound) pixels"
        case let .invalidSampleCount(field, value):
            return "\(field) \(value) must be zero or positive"
        }
    }
}

/// Train and test sample counts.
public struct SyntheticSplitSizes: Sendable, Equatable, Codable {
    public var train: Int
    public var test: Int
    public init(train: Int, test: Int) {
        self.train = train
        self.test = test
    }
}

/// The two splits; their random streams are independent, so no test image repeats a train image.
public enum SyntheticSplit: String, Sendable, CaseIterable {
    case train
    case test
}

/// The six synthetic datasets, by the names the CLI and the examples use.
public enum SyntheticDatasetKind: String, Sendable, CaseIterable, Codable {
    case fgvc = "fed-fgvc"
    case scienceCap = "fed-sciencecap"
    case slake = "fed-slake"
    case radGenome = "fed-radgenome"
    case nature = "fed-nature"
    case med = "fed-med"

    /// The dataset called `name` (case-insensitive, so "Fed-FGVC" works); throws listing the
    /// valid names otherwise.
    public init(name: String) throws {
        guard let kind = SyntheticDatasetKind(rawValue: name.lowercased()) else {
            throw SyntheticDataError.unknownDataset(name, valid: SyntheticDatasetKind.allCases.map(\.rawValue))
        }
        self = kind
    }

    /// The registry name, e.g. "fed-fgvc".
    public var name: String { rawValue }

    /// Image sizes the generators accept (square, pixels).
    public static let imageSizeRange: ClosedRange<Int> = 16...512

    /// The paper's Table 2 row: tasks, number of categories of the partition attribute,
    /// maximum number of clients, partition attribute and metrics.
    public var info: DatasetInfo {
        switch self {
        case .fgvc:
            return DatasetInfo(name: "Fed-FGVC", standsFor: "FGVC-Aircraft (manufacturer)", tasks: [.classification],
                               categoryCount: 30, maxClients: 30, partitionAttribute: "manufacturer",
                               metrics: ["accuracy"])
        case .scienceCap:
            return DatasetInfo(name: "Fed-ScienceCap", standsFor: "ScienceQA image captions", tasks: [.captioning],
                               categoryCount: 27, maxClients: 27, partitionAttribute: "category",
                               metrics: ["CIDEr", "ROUGE-L"])
        case .slake:
            return DatasetInfo(name: "Fed-SLAKE", standsFor: "SLAKE (English medical VQA)", tasks: [.vqa],
                               categoryCount: 3, maxClients: 3, partitionAttribute: "modality",
                               metrics: ["accuracy"])
        case .radGenome:
            return DatasetInfo(name: "Fed-RadGenome", standsFor: "RadGenome-Chest CT (heart, lung, abdomen boxes)",
                               tasks: [.grounding], categoryCount: 3, maxClients: 3, partitionAttribute: "organ",
                               metrics: ["IoU"])
        case .nature:
            return DatasetInfo(name: "Fed-Nature", standsFor: "COCO, RefCOCO and COCO-QA on shared images",
                               tasks: SyntheticNature.tasks, categoryCount: 4, maxClients: 4,
                               partitionAttribute: "task", metrics: ["accuracy", "CIDEr", "ROUGE-L", "IoU"])
        case .med:
            return DatasetInfo(name: "Fed-Med", standsFor: "SLAKE & VQA-RAD (VQA), MIMIC-CXR (reports), RadGenome-Chest CT (detection)",
                               tasks: SyntheticMed.tasks, categoryCount: 3, maxClients: 3,
                               partitionAttribute: "task", metrics: ["accuracy", "CIDEr", "ROUGE-L", "IoU"])
        }
    }

    /// Train/test sample counts for `preset`. Train sizes are multiples of the category count,
    /// so categories are exactly balanced (Fed-Nature counts samples: four per scene).
    public func sizes(for preset: DatasetPreset) -> SyntheticSplitSizes {
        switch (self, preset) {
        case (.fgvc, .smoke): return SyntheticSplitSizes(train: 60, test: 30)
        case (.fgvc, .quick): return SyntheticSplitSizes(train: 1200, test: 300)
        case (.fgvc, .full): return SyntheticSplitSizes(train: 6000, test: 1500)
        case (.scienceCap, .smoke): return SyntheticSplitSizes(train: 54, test: 27)
        case (.scienceCap, .quick): return SyntheticSplitSizes(train: 1080, test: 270)
        case (.scienceCap, .full): return SyntheticSplitSizes(train: 4050, test: 1080)
        case (.nature, .smoke): return SyntheticSplitSizes(train: 48, test: 24)
        case (.nature, .quick): return SyntheticSplitSizes(train: 1000, test: 240)
        case (.nature, .full): return SyntheticSplitSizes(train: 6000, test: 1500)
        case (.slake, .smoke), (.radGenome, .smoke), (.med, .smoke): return SyntheticSplitSizes(train: 48, test: 24)
        case (.slake, .quick), (.radGenome, .quick), (.med, .quick): return SyntheticSplitSizes(train: 960, test: 240)
        case (.slake, .full), (.radGenome, .full), (.med, .full): return SyntheticSplitSizes(train: 6000, test: 1500)
        }
    }

    /// Generates the dataset at the size of `preset`.
    ///
    /// - Parameters:
    ///   - preset: how many samples (see `sizes(for:)`).
    ///   - seed: the only source of randomness; the same seed gives byte-identical samples.
    ///   - imageSize: side of the square RGB images in pixels (16...512; 32 suits a tiny ViT).
    /// - Throws: `SyntheticDataError.invalidImageSize` for sizes outside `imageSizeRange`.
    public func generate(preset: DatasetPreset = .quick, seed: UInt64 = 0, imageSize: Int = 32) throws -> MultimodalDataset {
        let sizes = sizes(for: preset)
        return try generate(trainCount: sizes.train, testCount: sizes.test, seed: seed, imageSize: imageSize)
    }

    /// Generates exactly `trainCount` train and `testCount` test samples. Sample `i` of a split
    /// is the same whatever the counts, so a smaller set is a prefix of a larger one.
    public func generate(trainCount: Int, testCount: Int, seed: UInt64 = 0, imageSize: Int = 32) throws -> MultimodalDataset {
        guard Self.imageSizeRange.contains(imageSize) else {
            throw SyntheticDataError.invalidImageSize(imageSize, allowed: Self.imageSizeRange)
        }
        guard trainCount >= 0 else { throw SyntheticDataError.invalidSampleCount(field: "trainCount", value: trainCount) }
        guard testCount >= 0 else { throw SyntheticDataError.invalidSampleCount(field: "testCount", value: testCount) }
        let root = SyntheticRandom(seed: seed).derived(rawValue)
        let train = samples(count: trainCount, split: .train, root: root, imageSize: imageSize)
        let test = samples(count: testCount, split: .test, root: root, imageSize: imageSize)
        let info = self.info
        // The multitask datasets come with the paper's fixed client map: one client per task.
        var clients: [[Int]]?
        if self == .nature || self == .med {
            clients = info.tasks.map { task in train.indices.filter { train[$0].task == task } }
        }
        return MultimodalDataset(info: info, train: train, test: test, predefinedClients: clients)
    }

    /// The first `count` samples of `split`.
    func samples(count: Int, split: SyntheticSplit, root: SyntheticRandom, imageSize: Int) -> [Sample] {
        guard self == .nature else {
            return (0..<count).map { sample(index: $0, split: split, root: root, imageSize: imageSize) }
        }
        // Fed-Nature: draw each scene once and keep its four samples.
        let tasksPerScene = SyntheticNature.tasks.count
        let context = SyntheticSampleContext(dataset: rawValue, split: split, index: 0, imageSize: imageSize,
                                             streams: root.derived(split.rawValue))
        let scenes = (count + tasksPerScene - 1) / tasksPerScene
        return Array((0..<scenes).flatMap { SyntheticNature.samples(sceneIndex: $0, context) }.prefix(count))
    }

    /// Sample number `index` of `split`; `root` is the dataset's stream for the run's seed.
    func sample(index: Int, split: SyntheticSplit, root: SyntheticRandom, imageSize: Int) -> Sample {
        let context = SyntheticSampleContext(dataset: rawValue, split: split, index: index, imageSize: imageSize,
                                             streams: root.derived(split.rawValue))
        switch self {
        case .fgvc: return SyntheticFGVC.sample(context)
        case .scienceCap: return SyntheticScienceCap.sample(context)
        case .slake: return SyntheticSLAKE.sample(context)
        case .radGenome: return SyntheticRadGenome.sample(context)
        case .nature: return SyntheticNature.sample(context)
        case .med: return SyntheticMed.sample(context)
        }
    }
}

/// Where a sample sits (dataset, split, index) and the random streams it may draw from.
struct SyntheticSampleContext {
    let dataset: String
    let split: SyntheticSplit
    let index: Int
    let imageSize: Int
    /// The split's stream; `random(for:)` derives per-sample (or per-scene) streams from it.
    let streams: SyntheticRandom

    /// The stream of sample `index` (or of scene `index` for datasets whose samples share images).
    func random(for index: Int) -> SyntheticRandom { streams.derived(index) }

    /// A unique, zero-padded identifier, e.g. "fed-fgvc-train-00012".
    func identifier(_ number: Int? = nil, suffix: String? = nil) -> String {
        let digits = String(number ?? index)
        let padded = String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        return "\(dataset)-\(split.rawValue)-\(padded)" + (suffix.map { "-\($0)" } ?? "")
    }
}

/// The conversation formats of the reference benchmark (LLaVA-style turns; the prompt template
/// with system line and roles is added later by the model).
public enum SyntheticText {
    /// Attribute key holding the drawn main object's box ("[x, y, w, h]", normalised) for
    /// samples without ground-truth boxes; `distributionReport` reads it for position statistics.
    public static let objectBoxAttribute = "object_box"

    /// The human turn: the image placeholder, a newline and the question.
    public static func humanTurn(_ question: String) -> Turn {
        Turn(from: "human", value: "\(imagePlaceholder)\n\(question)")
    }

    /// A two-turn conversation.
    public static func conversation(question: String, answer: String) -> [Turn] {
        [humanTurn(question), Turn(from: "gpt", value: answer)]
    }

    /// "The answer is X." (classification, VQA; for multiple choice X is the option letter).
    public static func answer(_ value: String) -> String { "The answer is \(value)." }

    /// "The coordinates are [x, y, w, h]." with two decimals, normalised to the image.
    public static func coordinates(_ box: BoundingBox) -> String {
        "The coordinates are \(boxList(box))."
    }

    /// "[x, y, w, h]" with two decimals.
    public static func boxList(_ box: BoundingBox) -> String {
        "[\(twoDecimals(box.x)), \(twoDecimals(box.y)), \(twoDecimals(box.width)), \(twoDecimals(box.height))]"
    }

    /// A non-negative number with exactly two decimals ("0.40"), independent of locale.
    public static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int((max(value, 0) * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// "one" ... "twelve"; digits beyond.
    public static func numberWord(_ value: Int) -> String {
        let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                     "eleven", "twelve"]
        return words.indices.contains(value) ? words[value] : String(value)
    }

    /// A question with lettered options, "Q Options: A. x, B. y, C. z", and the correct letter.
    public static func multipleChoice(_ question: String, options: [String], correct: Int) -> (question: String, letter: String) {
        precondition(options.indices.contains(correct), "multipleChoice: correct index \(correct) of \(options.count)")
        let letters = ["A", "B", "C", "D", "E", "F"]
        precondition(options.count <= letters.count, "multipleChoice: at most \(letters.count) options")
        let listed = options.enumerated().map { "\(letters[$0.offset]). \($0.element)" }.joined(separator: ", ")
        return ("\(question) Options: \(listed).", letters[correct])
    }

    /// The sentence with its first letter upper-cased.
    static func capitalised(_ sentence: String) -> String {
        guard let first = sentence.first else { return sentence }
        return first.uppercased() + sentence.dropFirst()
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }
}

// The reference benchmark's on-disk layout (FedVLMBench releases, LLaVA-style JSON):
//
//   <dataset>/
//     dataset_info.json          optional: our DatasetInfo (written by the exporter)
//     train/client_0.json        one JSON array of samples per client (client_1.json, ...)
//     test/test.json             the test samples
//     images/...                 image files; sample "image" paths are relative to <dataset>
//
// One sample (unknown extra fields are ignored, so real releases load as they are):
//   {"id": "42", "image": "images/train/42.png",
//    "conversations": [{"from": "human", "value": "<image>\nWhich ...?"},
//                      {"from": "gpt", "value": "The answer is Boeing."}],
//    "task": "classification", "answer_type": "closed", "category": "Boeing",
//    "attributes": {"modality": "CT"}, "boxes": [[0.25, 0.5, 0.1, 0.2]]}
// Only "conversations" and "image" are required; "task", "answer_type", "category",
// "attributes" and "boxes" are this library's optional metadata (see Docs/DataFormat.md
// for how missing metadata is inferred).

import Foundation

// MARK: - JSON record

/// One sample as stored in a dataset JSON file.
public struct ReferenceSampleRecord: Codable, Sendable, Equatable {
    /// Kept as text; integer ids in real releases are read as their decimal text.
    public var id: String?
    /// Image path relative to the dataset directory (or absolute).
    public var image: String?
    public var conversations: [Turn]
    public var task: String?
    public var answerType: String?
    public var category: String?
    public var attributes: [String: String]?
    /// Normalised [x, y, w, h] boxes.
    public var boxes: [[Double]]?

    enum CodingKeys: String, CodingKey {
        case id, image, conversations, task
        case answerType = "answer_type"
        case category, attributes, boxes
    }

    public init(id: String?, image: String?, conversations: [Turn], task: String? = nil,
                answerType: String? = nil, category: String? = nil,
                attributes: [String: String]? = nil, boxes: [[Double]]? = nil) {
        self.id = id
        self.image = image
        self.conversations = conversations
        self.task = task
        self.answerType = answerType
        self.category = category
        self.attributes = attributes
        self.boxes = boxes
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decodeIfPresent(String.self, forKey: .id) {
            id = text
        } else if let number = try? container.decodeIfPresent(Int.self, forKey: .id) {
            id = String(number)
        } else if container.contains(.id), try !container.decodeNil(forKey: .id) {
            throw DecodingError.typeMismatch(String.self, DecodingError.Context(
                codingPath: [CodingKeys.id], debugDescription: "\"id\" must be a string or an integer"))
        } else {
            id = nil
        }
        image = try container.decodeIfPresent(String.self, forKey: .image)
        conversations = try container.decode([Turn].self, forKey: .conversations)
        task = try container.decodeIfPresent(String.self, forKey: .task)
        answerType = try container.decodeIfPresent(String.self, forKey: .answerType)
        category = try container.decodeIfPresent(String.self, forKey: .category)
        attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes)
        boxes = try container.decodeIfPresent([[Double]].self, forKey: .boxes)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(image, forKey: .image)
        try container.encode(conversations, forKey: .conversations)
        try container.encodeIfPresent(task, forKey: .task)
        try container.encodeIfPresent(answerType, forKey: .answerType)
        try container.encodeIfPresent(category, forKey: .category)
        try container.encodeIfPresent(attributes, forKey: .attributes)
        try container.encodeIfPresent(boxes, forKey: .boxes)
    }
}

// MARK: - Load options and report

/// How `ReferenceDatasetLoader` treats bad samples.
public enum LoadMode: String, Sendable, Codable {
    /// The first bad sample throws `ReferenceFormatError.badSample`.
    case strict
    /// Bad samples are left out and listed in the `LoadReport`.
    case skipBad
}

/// Options for `ReferenceDatasetLoader.load`.
public struct ReferenceLoadOptions: Sendable {
    public var mode: LoadMode
    /// The task of samples without a "task" field whose answer is not a box
    /// ("The coordinates are ..." answers are always grounding).
    public var defaultTask: TaskKind
    /// The category of samples without a "category" field.
    public var defaultCategory: String
    /// Where relative image paths start; `nil` means the dataset directory.
    public var imageRoot: URL?
    /// How far (in normalised units) a box may stick out of [0, 1] before it is rejected;
    /// absorbs the rounding of boxes written with two decimals.
    public var boxTolerance: Double
    /// Applied to every decoded image (e.g. `{ ImagePreprocessing.llavaPreprocess($0, size: 224) }`)
    /// to keep memory bounded for large releases; images shared by several samples are
    /// decoded and transformed once.
    public var imageTransform: (@Sendable (Image) -> Image)?
    /// Used when the directory has no dataset_info.json; `nil` derives a description from
    /// the loaded samples (name = directory name).
    public var info: DatasetInfo?

    public init(mode: LoadMode = .strict, defaultTask: TaskKind = .vqa, defaultCategory: String = "",
                imageRoot: URL? = nil, boxTolerance: Double = 0.005,
                imageTransform: (@Sendable (Image) -> Image)? = nil, info: DatasetInfo? = nil) {
        self.mode = mode
        self.defaultTask = defaultTask
        self.defaultCategory = defaultCategory
        self.imageRoot = imageRoot
        self.boxTolerance = boxTolerance
        self.imageTransform = imageTransform
        self.info = info
    }
}

/// One problem found while loading: the file (relative to the dataset directory), the
/// sample's 0-based index in that file's array (nil for problems with the file as a whole)
/// and why.
public struct LoadIssue: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var sampleIndex: Int?
    /// The sample's id when it could be read.
    public var sampleID: String?
    /// The 1-based line where the sample starts, when known.
    public var line: Int?
    public var reason: String

    public init(file: String, sampleIndex: Int?, sampleID: String? = nil, line: Int? = nil, reason: String) {
        self.file = file
        self.sampleIndex = sampleIndex
        self.sampleID = sampleID
        self.line = line
        self.reason = reason
    }

    public var description: String {
        var location = file
        if let index = sampleIndex { location += ", sample \(index)" }
        var details: [String] = []
        if let id = sampleID { details.append("id \"\(id)\"") }
        if let line { details.append("line \(line)") }
        if !details.isEmpty { location += " (\(details.joined(separator: ", ")))" }
        return "\(location): \(reason)"
    }
}

/// What a load kept and what it left out.
public struct LoadReport: Sendable, Equatable, CustomStringConvertible {
    /// Every problem, in file order (train clients first, then test).
    public var issues: [LoadIssue]
    public var loadedTrainCount: Int
    public var loadedTestCount: Int
    /// Samples left out, one per sample-level issue. File-level issues (a file that is not an
    /// array, an unclosed array) are listed in `issues` but not counted here, because the
    /// number of samples they hid is unknown.
    public var skippedSampleCount: Int

    public init(issues: [LoadIssue] = [], loadedTrainCount: Int = 0, loadedTestCount: Int = 0,
                skippedSampleCount: Int = 0) {
        self.issues = issues
        self.loadedTrainCount = loadedTrainCount
        self.loadedTestCount = loadedTestCount
        self.skippedSampleCount = skippedSampleCount
    }

    /// One line: counts of loaded and skipped samples.
    public var summary: String {
        "loaded \(loadedTrainCount) train + \(loadedTestCount) test samples; skipped \(skippedSampleCount) bad sample(s); \(issues.count) issue(s)"
    }

    public var description: String {
        ([summary] + issues.map { "  " + $0.description }).joined(separator: "\n")
    }
}

/// Errors of the reference format reader and writer.
public enum ReferenceFormatError: Error, CustomStringConvertible, Sendable {
    /// A sample (or, with `sampleIndex == nil`, a whole file) was bad in strict mode.
    case badSample(LoadIssue)
    /// A required file or folder is missing.
    case missingFile(path: String, hint: String)
    /// The export was asked for something inconsistent (e.g. a client index out of range).
    case invalidExport(reason: String)
    /// Writing failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badSample(issue): return issue.description
        case let .missingFile(path, hint): return "\(path): missing (\(hint))"
        case let .invalidExport(reason): return "cannot export dataset: \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}

// MARK: - Loader

/// Reads a dataset directory in the reference layout into a `MultimodalDataset` whose
/// `predefinedClients[i]` lists the `train` indices that came from `train/client_{i}.json`.
public enum ReferenceDatasetLoader {
    /// The file name of client `i`'s training samples.
    public static func clientFileName(_ client: Int) -> String { "client_\(client).json" }
    /// The phrase that marks a grounding answer in the reference benchmark.
    public static let groundingAnswerPrefix = "The coordinates are"

    /// Loads `directory`.
    /// - Returns: the dataset and a report of every skipped sample (empty in strict mode,
    ///   which throws at the first bad sample instead).
    /// - Throws: `ReferenceFormatError.missingFile` when `train/` has no `client_{i}.json`
    ///   or `test/test.json` is absent; `.badSample` in strict mode.
    public static func load(from directory: URL, options: ReferenceLoadOptions = ReferenceLoadOptions())
        throws -> (dataset: MultimodalDataset, report: LoadReport) {
        let fileManager = FileManager.default
        let trainDirectory = directory.appendingPathComponent("train")
        let testFile = directory.appendingPathComponent("test").appendingPathComponent("test.json")
        let clientFiles = try clientFileNames(in: trainDirectory)
        guard fileManager.fileExists(atPath: testFile.path) else {
            throw ReferenceFormatError.missingFile(path: testFile.path, hint: "the test split must be test/test.json")
        }

        var reader = SampleFileReader(root: directory, options: options)
        var train: [Sample] = []
        var clients: [[Int]] = []
        for name in clientFiles {
            let samples = try reader.read(relativePath: "train/" + name)
            clients.append(Array(train.count..<(train.count + samples.count)))
            train += samples
        }
        let test = try reader.read(relativePath: "test/test.json")

        let info = try options.info ?? storedInfo(in: directory) ?? derivedInfo(
            name: directory.lastPathComponent, train: train, test: test, clientCount: clients.count)
        var report = reader.report
        report.loadedTrainCount = train.count
        report.loadedTestCount = test.count
        let dataset = MultimodalDataset(info: info, train: train, test: test, predefinedClients: clients)
        return (dataset, report)
    }

    /// The `client_{i}.json` names in `directory`, sorted by `i`.
    static func clientFileNames(in directory: URL) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ReferenceFormatError.missingFile(
                path: directory.path, hint: "expected a train/ folder holding client_0.json, client_1.json, ...")
        }
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("client_"), name.hasSuffix(".json") else { return nil }
            let digits = name.dropFirst("client_".count).dropLast(".json".count)
            guard let number = Int(digits), number >= 0 else { return nil }
            return (number, name)
        }.sorted { $0.0 < $1.0 }
        guard !numbered.isEmpty else {
            throw ReferenceFormatError.missingFile(
                path: directory.appendingPathComponent("client_0.json").path,
                hint: "no client_{i}.json files in \(directory.path)")
        }
        return numbered.map(\.1)
    }

    static func storedInfo(in directory: URL) throws -> DatasetInfo? {
        let url = directory.appendingPathComponent("dataset_info.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(DatasetInfo.self, from: Data(contentsOf: url))
        } catch {
            throw ReferenceFormatError.badSample(LoadIssue(
                file: "dataset_info.json", sampleIndex: nil, reason: decodingReason(error)))
        }
    }

    static func derivedInfo(name: String, train: [Sample], test: [Sample], clientCount: Int) -> DatasetInfo {
        let all = train + test
        let tasks = TaskKind.allCases.filter { task in all.contains { $0.task == task } }
        let categories = Set(all.map(\.category))
        return DatasetInfo(name: name, standsFor: "data loaded from \(name)", tasks: tasks,
                           categoryCount: categories.count, maxClients: clientCount,
                           partitionAttribute: "category", metrics: [])
    }

    /// The task of a sample without a "task" field: grounding when the answer gives
    /// coordinates, else `fallback`.
    public static func inferredTask(answer: String, fallback: TaskKind) -> TaskKind {
        answer.contains(groundingAnswerPrefix) ? .grounding : fallback
    }

    /// The boxes written in an answer "The coordinates are [x, y, w, h]" (several boxes may
    /// follow, each in brackets). Empty when there is none.
    public static func boxes(inAnswer answer: String) -> [BoundingBox] {
        guard let prefix = answer.range(of: groundingAnswerPrefix) else { return [] }
        var boxes: [BoundingBox] = []
        var rest = answer[prefix.upperBound...]
        while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") {
            let numbers = rest[rest.index(after: open)..<close]
                .split(separator: ",")
                .compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            if numbers.count == 4 {
                boxes.append(BoundingBox(x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3]))
            }
            rest = rest[rest.index(after: close)...]
        }
        return boxes
    }
}

/// Reads one JSON file of samples, collecting issues; shares decoded images across files.
struct SampleFileReader {
    let root: URL
    let options: ReferenceLoadOptions
    var report = LoadReport()
    /// Decoded (and transformed) images by resolved path: many samples (VQA questions,
    /// multitask clients) share one image.
    var imageCache: [String: Image] = [:]

    init(root: URL, options: ReferenceLoadOptions) {
        self.root = root
        self.options = options
    }

    mutating func read(relativePath: String) throws -> [Sample] {
        let url = root.appendingPathComponent(relativePath)
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw ReferenceFormatError.missingFile(path: url.path, hint: describe(error))
        }
        let split: JSONArrayElements
        do {
            split = try JSONArrayElements(splitting: bytes)
        } catch JSONArrayElements.SplitError.notAnArray(let found) {
            let seen = found.map { "'\(Character(UnicodeScalar($0)))'" } ?? "an empty file"
            try record(LoadIssue(file: relativePath, sampleIndex: nil,
                                 reason: "malformed JSON: expected an array of samples, found \(seen)"))
            return []
        }

        var samples: [Sample] = []
        let decoder = JSONDecoder()
        for (index, element) in split.elements.enumerated() {
            var issue = LoadIssue(file: relativePath, sampleIndex: index, line: element.line, reason: "")
            let record: ReferenceSampleRecord
            do {
                guard !element.range.isEmpty else {
                    throw SampleProblem("malformed JSON: empty array element")
                }
                record = try decoder.decode(ReferenceSampleRecord.self, from: Data(bytes[element.range]))
            } catch {
                issue.reason = decodingReason(error)
                try self.record(issue, skipsSample: true)
                continue
            }
            issue.sampleID = record.id
            do {
                samples.append(try sample(from: record, index: index, file: relativePath))
            } catch {
                issue.reason = (error as? SampleProblem)?.reason ?? describe(error)
                try self.record(issue, skipsSample: true)
            }
        }
        if split.isUnterminated {
            try record(LoadIssue(file: relativePath, sampleIndex: nil,
                                 reason: "malformed JSON: the array is not closed (truncated file?)"))
        }
        if split.hasTrailingContent {
            try record(LoadIssue(file: relativePath, sampleIndex: nil,
                                 reason: "malformed JSON: characters after the closing ']'"))
        }
        return samples
    }

    private mutating func record(_ issue: LoadIssue, skipsSample: Bool = false) throws {
        if options.mode == .strict { throw ReferenceFormatError.badSample(issue) }
        report.issues.append(issue)
        if skipsSample { report.skippedSampleCount += 1 }
    }

    private mutating func sample(from record: ReferenceSampleRecord, index: Int, file: String) throws -> Sample {
        guard let firstHuman = record.conversations.first(where: { $0.from == "human" }) else {
            throw SampleProblem("conversations have no \"human\" turn")
        }
        guard record.conversations.contains(where: { $0.from == "gpt" }) else {
            throw SampleProblem("conversations have no \"gpt\" turn (no answer)")
        }
        guard firstHuman.value.contains(imagePlaceholder) else {
            throw SampleProblem("the first human turn has no \(imagePlaceholder) placeholder")
        }
        guard let imagePath = record.image, !imagePath.isEmpty else {
            throw SampleProblem("no \"image\" field")
        }
        let answer = record.conversations.first { $0.from == "gpt" }?.value ?? ""

        let task: TaskKind
        if let name = record.task {
            guard let known = TaskKind(rawValue: name) else {
                let expected = TaskKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw SampleProblem("unknown task \"\(name)\" (expected one of \(expected))")
            }
            task = known
        } else {
            task = ReferenceDatasetLoader.inferredTask(answer: answer, fallback: options.defaultTask)
        }
        var answerType: AnswerType? = nil
        if let name = record.answerType {
            guard let known = AnswerType(rawValue: name) else {
                throw SampleProblem("unknown answer_type \"\(name)\" (expected closed or open)")
            }
            answerType = known
        }

        var boxes: [BoundingBox] = []
        if let stored = record.boxes {
            for (boxIndex, values) in stored.enumerated() {
                guard values.count == 4 else {
                    throw SampleProblem("box \(boxIndex) has \(values.count) numbers, expected [x, y, w, h]")
                }
                boxes.append(BoundingBox(x: values[0], y: values[1], width: values[2], height: values[3]))
            }
        } else if task == .grounding {
            boxes = ReferenceDatasetLoader.boxes(inAnswer: answer)
        }
        let tolerance = options.boxTolerance
        for (boxIndex, box) in boxes.enumerated() {
            let inside = box.x >= -tolerance && box.y >= -tolerance && box.width > 0 && box.height > 0
                && box.x + box.width <= 1 + tolerance && box.y + box.height <= 1 + tolerance
            guard inside, box.x.isFinite, box.y.isFinite, box.width.isFinite, box.height.isFinite else {
                throw SampleProblem("box \(boxIndex) [\(box.x), \(box.y), \(box.width), \(box.height)] "
                                    + "lies outside the image (normalised [x, y, w, h] must fit in [0, 1])")
            }
        }

        let image = try loadImage(imagePath)
        return Sample(id: record.id ?? "\(file)#\(index)", image: image, conversations: record.conversations,
                      task: task, answerType: answerType, category: record.category ?? options.defaultCategory,
                      attributes: record.attributes ?? [:], boxes: boxes)
    }

    private mutating func loadImage(_ path: String) throws -> Image {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : (options.imageRoot ?? root).appendingPathComponent(path)
        if let cached = imageCache[url.path] { return cached }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SampleProblem("image file \(path) not found (looked for \(url.path))")
        }
        var image: Image
        do {
            image = try ImageCodec.decode(contentsOf: url)
        } catch let error as ImageCodecError {
            throw SampleProblem("image file \(path): \(error.description)")
        }
        if let transform = options.imageTransform { image = transform(image) }
        imageCache[url.path] = image
        return image
    }
}

/// A reason a sample is bad, before the file and index are attached.
struct SampleProblem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A readable reason for a JSON decoding failure: which field and what was wrong.
func decodingReason(_ error: Error) -> String {
    if let problem = error as? SampleProblem { return problem.reason }
    guard let decodingError = error as? DecodingError else { return "malformed JSON: \(describe(error))" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "the sample" : "field \"" + keys.joined(separator: ".") + "\""
    }
    switch decodingError {
    case let .keyNotFound(key, context):
        let owner = context.codingPath.isEmpty ? "" : " in \(path(context))"
        return "missing field \"\(key.stringValue)\"\(owner)"
    case let .typeMismatch(type, context):
        return "\(path(context)) has the wrong type (expected \(type)): \(context.debugDescription)"
    case let .valueNotFound(type, context):
        return "\(path(context)) is null (expected \(type))"
    case let .dataCorrupted(context):
        var reason = "malformed JSON: \(context.debugDescription)"
        if let underlying = context.underlyingError { reason += " (\(describe(underlying)))" }
        return reason
    @unknown default:
        return "malformed JSON: \(decodingError)"
    }
}

// MARK: - Writer

/// Writes a `MultimodalDataset` in the reference layout (see the file header), images as PNG.
public enum ReferenceDatasetWriter {
    /// Exports `dataset` to `directory` (created if needed): `train/client_{i}.json` for each
    /// entry of `clients` (indices into `dataset.train`), `test/test.json`, images under
    /// `images/train` and `images/test` (an image shared by several samples is written once),
    /// and `dataset_info.json`.
    /// - Parameter clients: the partition to write; `nil` uses `dataset.predefinedClients`.
    /// - Throws: `ReferenceFormatError.invalidExport` for a missing partition or an index out
    ///   of range; `.writeFailed` or `ImageCodecError` when a file cannot be written.
    public static func write(_ dataset: MultimodalDataset, clients: [[Int]]? = nil, to directory: URL) throws {
        guard let partition = clients ?? dataset.predefinedClients else {
            throw ReferenceFormatError.invalidExport(
                reason: "no client partition: pass clients: or set predefinedClients")
        }
        for (client, indices) in partition.enumerated() {
            if let bad = indices.first(where: { $0 < 0 || $0 >= dataset.train.count }) {
                throw ReferenceFormatError.invalidExport(
                    reason: "client \(client) lists train index \(bad), outside 0..<\(dataset.train.count)")
            }
        }
        let fileManager = FileManager.default
        for folder in ["train", "test", "images/train", "images/test"] {
            let url = directory.appendingPathComponent(folder)
            do {
                try fileManager.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw ReferenceFormatError.writeFailed(path: url.path, reason: describe(error))
            }
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]

        var trainImages = ImageFileNamer(folder: "images/train")
        let trainRecords = try dataset.train.map { try record(for: $0, namer: &trainImages, root: directory) }
        for (client, indices) in partition.enumerated() {
            try writeJSON(indices.map { trainRecords[$0] }, encoder: encoder,
                          to: directory.appendingPathComponent("train/" + ReferenceDatasetLoader.clientFileName(client)))
        }
        var testImages = ImageFileNamer(folder: "images/test")
        let testRecords = try dataset.test.map { try record(for: $0, namer: &testImages, root: directory) }
        try writeJSON(testRecords, encoder: encoder, to: directory.appendingPathComponent("test/test.json"))
        try writeJSON(dataset.info, encoder: encoder, to: directory.appendingPathComponent("dataset_info.json"))
    }

    /// The JSON record of `sample`, writing its image if no earlier sample had the same one.
    static func record(for sample: Sample, namer: inout ImageFileNamer, root: URL) throws -> ReferenceSampleRecord {
        let (path, isNew) = namer.path(for: sample)
        if isNew { try ImageCodec.writePNG(sample.image, to: root.appendingPathComponent(path)) }
        return ReferenceSampleRecord(
            id: sample.id, image: path, conversations: sample.conversations, task: sample.task.rawValue,
            answerType: sample.answerType?.rawValue, category: sample.category,
            attributes: sample.attributes.isEmpty ? nil : sample.attributes,
            boxes: sample.boxes.isEmpty ? nil : sample.boxes.map { [$0.x, $0.y, $0.width, $0.height] })
    }

    private static func writeJSON<T: Encodable>(_ value: T, encoder: JSONEncoder, to url: URL) throws {
        do {
            try encoder.encode(value).write(to: url, options: .atomic)
        } catch {
            throw ReferenceFormatError.writeFailed(path: url.path, reason: describe(error))
        }
    }
}

/// Gives each distinct image one file name derived from the first sample id that uses it.
struct ImageFileNamer {
    let folder: String
    var pathsByImage: [Image: String] = [:]
    var usedNames: Set<String> = []

    init(folder: String) { self.folder = folder }

    mutating func path(for sample: Sample) -> (path: String, isNew: Bool) {
        if let existing = pathsByImage[sample.image] { return (existing, false) }
        let safe = String(sample.id.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
        var name = (safe.isEmpty ? "image" : safe) + ".png"
        var suffix = 1
        while usedNames.contains(name) {
            name = (safe.isEmpty ? "image" : safe) + "-\(suffix).png"
            suffix += 1
        }
        usedNames.insert(name)
        let path = folder + "/" + name
        pathsByImage[sample.image] = path
        return (path, true)
    }
}

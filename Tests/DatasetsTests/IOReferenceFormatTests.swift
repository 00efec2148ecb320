// The reference on-disk layout: export -> load round trips, real-release tolerance
// (unknown fields, integer ids, missing metadata), and every bad input reported with the
// file and the sample index, in strict and skip-bad modes.

import Foundation
import Testing
@testable import Datasets

@Suite("Reference format")
struct IOReferenceFormatTests {
    /// 5 train + 2 test samples covering every metadata field; train 1 and 3 share an image.
    static func smallDataset() -> MultimodalDataset {
        let shared = IOFixtures.levelsImage(channels: 3, height: 4, width: 6, seed: 1)
        func turns(_ question: String, _ answer: String) -> [Turn] {
            [Turn(from: "human", value: "<image>\n" + question), Turn(from: "gpt", value: answer)]
        }
        let train = [
            Sample(id: "a/0", image: IOFixtures.levelsImage(channels: 1, height: 5, width: 5, seed: 2),
                   conversations: turns("Which maker?", "The answer is Boeing."), task: .classification,
                   answerType: .closed, category: "Boeing"),
            Sample(id: "a/1", image: shared, conversations: turns("What colour is it?", "The answer is B."),
                   task: .vqa, answerType: .closed, category: "CT", attributes: ["modality": "CT", "organ": "lung"]),
            Sample(id: "b 2", image: IOFixtures.levelsImage(channels: 3, height: 3, width: 7, seed: 3),
                   conversations: turns("Describe the image.", "A plot of two lines.") + [
                       Turn(from: "human", value: "And the axes?"), Turn(from: "gpt", value: "Time and speed.")],
                   task: .captioning, category: "physics"),
            Sample(id: "b3", image: shared, conversations: turns("Where is the dog?", "The coordinates are [0.25, 0.5, 0.1, 0.2]"),
                   task: .grounding, category: "dog", boxes: [BoundingBox(x: 0.25, y: 0.5, width: 0.1, height: 0.2)]),
            Sample(id: "b4", image: IOFixtures.levelsImage(channels: 1, height: 2, width: 9, seed: 5),
                   conversations: turns("Write the report.", "No acute findings."), task: .reportGeneration,
                   category: "chest"),
        ]
        let test = [
            Sample(id: "t0", image: IOFixtures.levelsImage(channels: 3, height: 6, width: 6, seed: 6),
                   conversations: turns("Which maker?", "The answer is Airbus."), task: .classification,
                   answerType: .closed, category: "Airbus"),
            Sample(id: "t1", image: IOFixtures.levelsImage(channels: 1, height: 4, width: 4, seed: 7),
                   conversations: turns("Is there fluid?", "The answer is no."), task: .vqa, answerType: .open,
                   category: "X-Ray"),
        ]
        let info = DatasetInfo(name: "Tiny", standsFor: "a test", tasks: TaskKind.allCases, categoryCount: 5,
                               maxClients: 2, partitionAttribute: "category", metrics: ["accuracy"])
        return MultimodalDataset(info: info, train: train, test: test)
    }

    @Test("export then load gives equal samples, pixels, partition and info")
    func roundTrip() throws {
        let directory = try IOFixtures.temporaryDirectory("roundtrip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = Self.smallDataset()
        let partition = [[0, 3], [4, 1, 2]]
        try ReferenceDatasetWriter.write(original, clients: partition, to: directory)

        let (loaded, report) = try ReferenceDatasetLoader.load(from: directory)
        #expect(report.issues.isEmpty)
        #expect(report.loadedTrainCount == 5 && report.loadedTestCount == 2)
        #expect(loaded.info == original.info)
        #expect(loaded.predefinedClients == [[0, 1], [2, 3, 4]])
        let clients = try #require(loaded.predefinedClients)
        for (client, indices) in clients.enumerated() {
            for (position, index) in indices.enumerated() {
                #expect(loaded.train[index] == original.train[partition[client][position]])
            }
        }
        #expect(loaded.test == original.test)
        // The image shared by train samples 1 and 3 is stored once.
        let trainImages = try FileManager.default.contentsOfDirectory(
            atPath: directory.appendingPathComponent("images/train").path)
        #expect(trainImages.count == 4)
        #expect(trainImages.contains("b_2.png"))
    }

    @Test("the written JSON is LLaVA-style")
    func writtenJSONShape() throws {
        let directory = try IOFixtures.temporaryDirectory("shape")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ReferenceDatasetWriter.write(Self.smallDataset(), clients: [[0], [1, 2, 3, 4]], to: directory)
        let data = try Data(contentsOf: directory.appendingPathComponent("train/client_1.json"))
        let array = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(array.count == 4)
        #expect(array[0]["id"] as? String == "a/1")
        #expect(array[0]["image"] as? String == "images/train/a_1.png")
        let conversations = try #require(array[0]["conversations"] as? [[String: String]])
        #expect(conversations[0] == ["from": "human", "value": "<image>\nWhat colour is it?"])
        #expect(array[0]["answer_type"] as? String == "closed")
        #expect(array[2]["boxes"] as? [[Double]] == [[0.25, 0.5, 0.1, 0.2]])
        #expect(array[1]["answer_type"] == nil && array[1]["boxes"] == nil)
    }

    @Test("exporting a partition with an index out of range names the client and index")
    func invalidPartition() throws {
        let directory = try IOFixtures.temporaryDirectory("invalid")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try ReferenceDatasetWriter.write(Self.smallDataset(), clients: [[0, 1], [7]], to: directory)
            Issue.record("no error for index 7")
        } catch let error as ReferenceFormatError {
            #expect(error.description.contains("client 1") && error.description.contains("7"))
        }
        #expect(throws: ReferenceFormatError.self) {
            try ReferenceDatasetWriter.write(Self.smallDataset(), to: directory)
        }
    }

    // MARK: Hand-written directories

    /// Writes `files` (relative path -> text) and copies fixture images into `images/`.
    static func makeDirectory(_ files: [String: String], label: String) throws -> URL {
        let directory = try IOFixtures.temporaryDirectory(label)
        let fileManager = FileManager.default
        for folder in ["train", "test", "images"] {
            try fileManager.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for name in ["rgb8.png", "gray8.png", "rgb.jpg", "bad_truncated.png"] {
            try fileManager.copyItem(at: IOFixtures.images.appendingPathComponent(name),
                                     to: directory.appendingPathComponent("images/" + name))
        }
        for (path, text) in files {
            try Data(text.utf8).write(to: directory.appendingPathComponent(path))
        }
        return directory
    }

    static func sampleJSON(id: String, image: String = "images/rgb8.png", question: String = "<image>\\nWhat is it?",
                           answer: String = "The answer is B.", extra: String = "") -> String {
        """
        {"id": "\(id)", "image": "\(image)", \(extra)
         "conversations": [{"from": "human", "value": "\(question)"}, {"from": "gpt", "value": "\(answer)"}]}
        """
    }

    static let goodTest = "[" + sampleJSON(id: "t0", image: "images/gray8.png") + "]"

    @Test("real-release JSON: unknown fields, integer ids, no metadata (task inferred from the answer)")
    func realReleaseTolerance() throws {
        let client0 = """
        [
          {"id": 17, "image": "images/rgb8.png", "source": "coco", "width": 3, "height": 2,
           "conversations": [{"from": "human", "value": "<image>\\nWhere is the cat?"},
                             {"from": "gpt", "value": "The coordinates are [0.1, 0.2, 0.3, 0.4]."}]},
          {"image": "images/rgb.jpg", "conversations": [{"from": "human", "value": "<image>\\nWhat is shown?"},
                             {"from": "gpt", "value": "The answer is B."}], "extra": {"nested": [1, 2]}}
        ]
        """
        let directory = try Self.makeDirectory(["train/client_0.json": client0, "test/test.json": Self.goodTest],
                                               label: "real")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = ReferenceLoadOptions(defaultTask: .vqa, defaultCategory: "unknown")
        let (dataset, report) = try ReferenceDatasetLoader.load(from: directory, options: options)
        #expect(report.issues.isEmpty)
        #expect(dataset.train.count == 2 && dataset.test.count == 1)
        let grounding = dataset.train[0]
        #expect(grounding.id == "17")
        #expect(grounding.task == .grounding)
        #expect(grounding.boxes == [BoundingBox(x: 0.1, y: 0.2, width: 0.3, height: 0.4)])
        #expect(grounding.category == "unknown")
        #expect(grounding.image.channels == 3 && grounding.image.width == 3)
        let vqa = dataset.train[1]
        #expect(vqa.task == .vqa)
        #expect(vqa.id == "train/client_0.json#1")
        #expect(vqa.image.channels == 3 && vqa.image.height == 16)
        // No dataset_info.json: the description is derived from the data.
        #expect(dataset.info.maxClients == 1)
        #expect(dataset.info.tasks == [.vqa, .grounding])
    }

    /// One bad sample per case, each between good samples in train/client_1.json.
    static let badCases: [(name: String, json: String, reasonFragment: String)] = [
        ("no <image>", sampleJSON(id: "x", question: "What is it?"), "<image>"),
        ("missing image file", sampleJSON(id: "x", image: "images/missing.png"), "images/missing.png"),
        ("corrupt image file", sampleJSON(id: "x", image: "images/bad_truncated.png"), "corrupt or truncated PNG"),
        ("box outside the image", sampleJSON(id: "x", extra: "\"boxes\": [[0.8, 0.1, 0.5, 0.2]],"), "outside the image"),
        ("grounding answer outside the image", sampleJSON(id: "x", answer: "The coordinates are [0.5, 0.5, 0.7, 0.1]"),
         "outside the image"),
        ("malformed JSON", "{\"id\": \"x\", \"image\": \"images/rgb8.png\" \"conversations\": []}", "malformed JSON"),
        ("missing conversations", "{\"id\": \"x\", \"image\": \"images/rgb8.png\"}", "missing field \"conversations\""),
        ("unknown task", sampleJSON(id: "x", extra: "\"task\": \"segmentation\","), "unknown task"),
    ]

    @Test("strict mode: each bad input throws with the file and the sample index",
          arguments: 0..<8)
    func strictReportsFileAndIndex(caseIndex: Int) throws {
        let bad = Self.badCases[caseIndex]
        let client1 = "[" + Self.sampleJSON(id: "g0") + ",\n" + bad.json + ",\n" + Self.sampleJSON(id: "g2") + "]"
        let directory = try Self.makeDirectory(
            ["train/client_0.json": "[" + Self.sampleJSON(id: "c0") + "]", "train/client_1.json": client1,
             "test/test.json": Self.goodTest], label: "strict")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try ReferenceDatasetLoader.load(from: directory)
            Issue.record("\(bad.name): loaded without an error")
        } catch let ReferenceFormatError.badSample(issue) {
            #expect(issue.file == "train/client_1.json", "\(bad.name)")
            #expect(issue.sampleIndex == 1, "\(bad.name)")
            #expect(issue.reason.contains(bad.reasonFragment), "\(bad.name): \(issue.reason)")
            #expect(issue.description.contains("train/client_1.json, sample 1"))
        }
    }

    @Test("skip-bad mode loads the good samples and lists every bad one")
    func skipBadLoadsTheRest() throws {
        let client0 = "[" + ([Self.sampleJSON(id: "g0")] + Self.badCases.map(\.json) + [Self.sampleJSON(id: "g9")])
            .joined(separator: ",\n") + "]"
        // test.json is cut off inside its second sample.
        let truncatedTest = "[" + Self.sampleJSON(id: "t0") + ", {\"id\": \"t1\", \"conv"
        let directory = try Self.makeDirectory(
            ["train/client_0.json": client0, "train/client_1.json": "[" + Self.sampleJSON(id: "c1") + "]",
             "test/test.json": truncatedTest], label: "skip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (dataset, report) = try ReferenceDatasetLoader.load(from: directory, options: ReferenceLoadOptions(mode: .skipBad))
        #expect(dataset.train.map(\.id) == ["g0", "g9", "c1"])
        #expect(dataset.predefinedClients == [[0, 1], [2]])
        #expect(dataset.test.map(\.id) == ["t0"])

        let trainIssues = report.issues.filter { $0.file == "train/client_0.json" }
        #expect(trainIssues.map(\.sampleIndex) == Array(1...8).map { Optional($0) })
        for (issue, bad) in zip(trainIssues, Self.badCases) {
            #expect(issue.reason.contains(bad.reasonFragment), "\(bad.name): \(issue.reason)")
        }
        let testIssues = report.issues.filter { $0.file == "test/test.json" }
        #expect(testIssues.count == 2)
        #expect(testIssues.first?.sampleIndex == 1)
        #expect(testIssues.last?.sampleIndex == nil && testIssues.last?.reason.contains("not closed") == true)
        #expect(report.skippedSampleCount == 9)
        #expect(report.loadedTrainCount == 3 && report.loadedTestCount == 1)
        #expect(report.summary == "loaded 3 train + 1 test samples; skipped 9 bad sample(s); 10 issue(s)")
        // Line numbers point at the sample: client_0.json puts sample 1 on line 3.
        #expect(trainIssues.first?.line == 3)
    }

    @Test("a file that is not a JSON array is a file-level issue")
    func notAnArray() throws {
        let directory = try Self.makeDirectory(
            ["train/client_0.json": "{\"samples\": []}", "test/test.json": Self.goodTest], label: "object")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try ReferenceDatasetLoader.load(from: directory)
            Issue.record("no error")
        } catch let ReferenceFormatError.badSample(issue) {
            #expect(issue.file == "train/client_0.json" && issue.sampleIndex == nil)
            #expect(issue.reason.contains("expected an array"))
        }
        let (dataset, report) = try ReferenceDatasetLoader.load(from: directory, options: ReferenceLoadOptions(mode: .skipBad))
        #expect(dataset.predefinedClients == [[]])
        #expect(report.issues.count == 1)
    }

    @Test("missing test.json or client files are errors naming the path")
    func missingFiles() throws {
        let noTest = try Self.makeDirectory(["train/client_0.json": "[]"], label: "notest")
        defer { try? FileManager.default.removeItem(at: noTest) }
        #expect { try ReferenceDatasetLoader.load(from: noTest) } throws: { error in
            "\(error)".contains("test/test.json")
        }
        let noClients = try Self.makeDirectory(["test/test.json": Self.goodTest], label: "noclients")
        defer { try? FileManager.default.removeItem(at: noClients) }
        #expect { try ReferenceDatasetLoader.load(from: noClients) } throws: { error in
            "\(error)".contains("client_")
        }
    }

    @Test("client files load in numeric order and images shared across files are decoded once")
    func clientOrderAndTransform() throws {
        var files = ["test/test.json": Self.goodTest]
        for client in [0, 2, 10, 1] {
            files["train/client_\(client).json"] = "[" + Self.sampleJSON(id: "c\(client)") + "]"
        }
        let directory = try Self.makeDirectory(files, label: "order")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = ReferenceLoadOptions(imageTransform: { ImagePreprocessing.llavaPreprocess($0, size: 4) })
        let (dataset, _) = try ReferenceDatasetLoader.load(from: directory, options: options)
        #expect(dataset.train.map(\.id) == ["c0", "c1", "c2", "c10"])
        #expect(dataset.train.allSatisfy { $0.image.channels == 3 && $0.image.width == 4 && $0.image.height == 4 })
        #expect(dataset.test[0].image.channels == 3)
    }

    @Test("boxes and tasks are inferred from answers")
    func inference() {
        #expect(ReferenceDatasetLoader.inferredTask(answer: "The coordinates are [0.1, 0.2, 0.3, 0.4]", fallback: .vqa) == .grounding)
        #expect(ReferenceDatasetLoader.inferredTask(answer: "The answer is A.", fallback: .classification) == .classification)
        #expect(ReferenceDatasetLoader.boxes(inAnswer: "The coordinates are [0.1, 0.2, 0.3, 0.4] and [0.5,0.5,0.25,0.25].")
                == [BoundingBox(x: 0.1, y: 0.2, width: 0.3, height: 0.4),
                    BoundingBox(x: 0.5, y: 0.5, width: 0.25, height: 0.25)])
        #expect(ReferenceDatasetLoader.boxes(inAnswer: "The answer is B.").isEmpty)
    }
}

// distributionReport: counts by hand on a tiny dataset, and consistency on the generators.

import Testing
@testable import Datasets

@Suite struct SyntheticDistributionTests {
    func sample(_ id: String, category: String, task: TaskKind, answer: String, answerType: AnswerType? = nil,
                boxes: [BoundingBox] = [], attributes: [String: String] = [:]) -> Sample {
        Sample(id: id, image: Image(channels: 3, height: 2, width: 2), conversations: SyntheticText.conversation(question: "q?", answer: answer),
               task: task, answerType: answerType, category: category, attributes: attributes, boxes: boxes)
    }

    @Test func countsAndHistogramsByHand() throws {
        // Prepare: boxes centred top-left, centre, bottom-right; sizes sqrt(w h) = 0.1, 0.5, 0.9.
        let train = [
            sample("a", category: "heart", task: .grounding, answer: "x", boxes: [BoundingBox(x: 0.05, y: 0.05, width: 0.1, height: 0.1)]),
            sample("b", category: "lung", task: .grounding, answer: "x", boxes: [BoundingBox(x: 0.25, y: 0.25, width: 0.5, height: 0.5)]),
            sample("c", category: "lung", task: .vqa, answer: "y", answerType: .closed,
                   attributes: [SyntheticText.objectBoxAttribute: "[0.05, 0.05, 0.90, 0.90]", "question_type": "organ"]),
            sample("d", category: "lung", task: .vqa, answer: "y", answerType: .open,
                   attributes: [SyntheticText.objectBoxAttribute: "[0.80, 0.85, 0.10, 0.10]"]),
        ]
        let info = DatasetInfo(name: "Tiny", standsFor: "nothing", tasks: [.grounding, .vqa], categoryCount: 2,
                               maxClients: 2, partitionAttribute: "organ", metrics: ["IoU"])
        // Execute.
        let report = distributionReport(MultimodalDataset(info: info, train: train, test: []))
        // Assert.
        #expect(report.train.sampleCount == 4)
        #expect(report.train.categories == [CountEntry(name: "heart", count: 1), CountEntry(name: "lung", count: 3)])
        #expect(report.train.tasks == [CountEntry(name: "grounding", count: 2), CountEntry(name: "vqa", count: 2)])
        #expect(report.train.answerTypes == [CountEntry(name: "closed", count: 1), CountEntry(name: "open", count: 1)])
        #expect(report.train.questionTypes == [CountEntry(name: "organ", count: 1)])
        #expect(report.train.distinctAnswers == 2)
        #expect(report.train.majorityAnswerShare == 0.5)
        #expect(report.train.positionedCount == 4)
        #expect(report.train.centreGrid == [[1, 0, 0], [0, 2, 0], [0, 0, 1]])
        #expect(report.train.sizeBins.map(\.count) == [2, 0, 1, 0, 1])
        let mean = try #require(report.train.meanBox)
        #expect(abs(mean.x - (0.05 + 0.25 + 0.05 + 0.8) / 4) < 1e-12)
        #expect(report.test.sampleCount == 0 && report.test.meanBox == nil)
        let markdown = report.markdown
        #expect(markdown.contains("### Tiny"))
        #expect(markdown.contains("| lung | 3 | 0 |"))
        #expect(markdown.contains("| top | 1 | 0 | 0 |"))
    }

    @Test(arguments: SyntheticDatasetKind.allCases)
    func generatorsReportBalancedCategoriesAndVaryingPositions(kind: SyntheticDatasetKind) throws {
        let dataset = try #require(syntheticSmokeDatasets[kind])
        let report = distributionReport(dataset)
        #expect(report == DistributionReport(dataset))
        #expect(report.train.categories.count == kind.info.categoryCount)
        #expect(report.train.categories.map(\.count).reduce(0, +) == dataset.train.count)
        #expect(report.train.tasks.map(\.name).sorted() == kind.info.tasks.map(\.rawValue).sorted())
        let vqaCount = dataset.train.filter { $0.task == .vqa }.count
        #expect(report.train.answerTypes.map(\.count).reduce(0, +) == vqaCount)
        // Positions are reported for every sample that shows an object or has a box, and they vary.
        #expect(report.train.positionedCount >= dataset.train.count / 3)
        #expect(report.train.centreGrid.flatMap { $0 }.reduce(0, +) == report.train.positionedCount)
        #expect(report.train.sizeBins.filter { $0.count > 0 }.count >= 2, "box sizes \(report.train.sizeBins)")
        #expect(report.markdown.contains("| \(kind.info.partitionAttribute) | train | test |"))
    }
}

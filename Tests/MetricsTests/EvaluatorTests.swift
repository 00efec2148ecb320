import Testing
@testable import Metrics

@Suite("Evaluator: one call per task returns the paper's metrics")
struct EvaluatorTests {
    @Test("classification -> accuracy")
    func classification() throws {
        let result = try Evaluator().evaluate([
            EvaluationItem(id: "1", prediction: "The answer is Boeing</s>", references: ["The answer is Boeing"]),
            EvaluationItem(id: "2", prediction: "The answer is Airbus</s><pad>", references: ["The answer is Boeing"]),
        ], task: .classification)
        #expect(result.headline == [.accuracy])
        #expect(result[.accuracy] == 0.5)
        #expect(result.perSample[.accuracy] == [1, 0])
    }

    @Test("VQA -> accuracy with the closed/open split")
    func vqa() throws {
        let result = try Evaluator(options: .referenceBenchmark).evaluate([
            EvaluationItem(id: "1", prediction: "The answer is A", references: ["The answer is A"], answerType: .closed),
            EvaluationItem(id: "2", prediction: "The answer is B", references: ["The answer is A"], answerType: .open),
        ], task: .vqa)
        #expect(result.headline == [.accuracy, .closedAccuracy, .openAccuracy])
        #expect(result[.closedAccuracy] == 1 && result[.openAccuracy] == 0 && result[.accuracy] == 0.5)
        #expect(result.closedCount == 1 && result.openCount == 1)
    }

    @Test("captioning and report generation -> CIDEr, ROUGE-L (+BLEU), same numbers as the scorers")
    func captions() throws {
        let items = [
            EvaluationItem(id: "a", prediction: "A dog runs on the grass.", references: ["A dog is running on grass.", "The dog runs."]),
            EvaluationItem(id: "b", prediction: "Two cats sleep.", references: ["Two cats are sleeping on a sofa."]),
            EvaluationItem(id: "c", prediction: "A red bus.", references: ["A red bus on the street."]),
        ]
        for task in [MetricTask.captioning, .reportGeneration] {
            let result = try Evaluator().evaluate(items, task: task)
            #expect(result.headline == [.cider, .rougeL])
            let direct = try CaptionMetrics(tokenization: .ptb).score(
                ids: items.map(\.id), candidates: items.map(\.prediction), references: items.map(\.references))
            #expect(result[.cider] == direct.cider.corpus)
            #expect(result[.rougeL] == direct.rougeL.corpus)
            #expect(result[.bleu4] == direct.bleu?.corpus[3])
            #expect(result.perSample[.cider] == direct.cider.perSample)
        }
        let withoutBLEU = try Evaluator(options: EvaluationOptions(includesBLEU: false)).evaluate(items, task: .captioning)
        #expect(withoutBLEU[.bleu1] == nil)
        // Whitespace tokenization keeps case and punctuation, so the scores differ.
        let whitespace = try Evaluator(options: .referenceBenchmark).evaluate(items, task: .captioning)
        #expect(whitespace[.rougeL] != nil && whitespace[.rougeL] != withoutBLEU[.rougeL])
    }

    @Test("grounding -> mean IoU, unparseable predictions counted")
    func grounding() throws {
        let items = [
            EvaluationItem(id: "1", prediction: "The coordinates are [0.1, 0.1, 0.2, 0.2]</s>",
                           references: ["The coordinates are [0.1, 0.1, 0.2, 0.2]"]),
            EvaluationItem(id: "2", prediction: "The coordinates are unknown",
                           references: ["The coordinates are [0.1, 0.1, 0.2, 0.2]"]),
        ]
        let standard = try Evaluator().evaluate(items, task: .grounding)
        #expect(standard.headline == [.meanIoU])
        #expect(standard[.meanIoU] == 0.5 && standard.unparseableCount == 1 && standard.excludedCount == 0)
        let reference = try Evaluator(options: .referenceBenchmark).evaluate(items, task: .grounding)
        #expect(reference[.meanIoU] == 1 && reference.unparseableCount == 1 && reference.excludedCount == 1)
    }

    @Test("every task has headline metrics")
    func headlineMetrics() {
        for task in MetricTask.allCases {
            #expect(!task.headlineMetrics.isEmpty)
        }
    }
}

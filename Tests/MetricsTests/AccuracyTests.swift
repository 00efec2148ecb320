import Testing
@testable import Metrics

@Suite("Accuracy: extraction, normalisation, letters, closed/open")
struct AccuracyTests {
    private func item(_ id: String, _ prediction: String, _ references: [String],
                      _ type: AnswerType? = nil) -> EvaluationItem {
        EvaluationItem(id: id, prediction: prediction, references: references, answerType: type)
    }

    @Test("standard normalisation: case, surrounding spaces and punctuation")
    func standardNormalization() {
        let normalize = AnswerNormalization.standard.normalize
        #expect(normalize("  Yes. ") == "yes")
        #expect(normalize("\"Boeing 747!\"") == "boeing 747")
        #expect(normalize("left   lung") == "left lung")
        #expect(normalize("U.S.") == "u.s")
        #expect(AnswerNormalization.exact.normalize(" Yes. ") == "Yes.")
    }

    @Test("VQA normalisation: articles, number words, punctuation rules")
    func vqaNormalization() {
        let normalize = AnswerNormalization.vqa.normalize
        #expect(normalize("The Left Lung") == "left lung")
        #expect(normalize("two") == "2")
        #expect(normalize("an apple, a pear") == "apple pear")
        #expect(normalize("2.5") == "2.5")
        #expect(normalize("yes.") == "yes")
        #expect(normalize("t-shirt") == "t shirt")          // a mark not touching a space becomes a space
        #expect(normalize("black - white") == "black white") // touching a space it is deleted
        #expect(normalize("1,000 people") == "1000 people")  // a comma between digits deletes all marks
    }

    @Test("answer after the first whole-word \"is\"")
    func extraction() {
        let afterIs = AnswerExtraction.afterMarker("is", required: false)
        #expect(afterIs.answer(in: "The answer is B.") == " B.")
        #expect(afterIs.answer(in: "This island IS big") == " big")   // "This" and "island" are not "is"
        #expect(afterIs.answer(in: "no marker") == "no marker")
        #expect(AnswerExtraction.afterIs.answer(in: "no marker") == nil)
        #expect(AnswerExtraction.wholeText.answer(in: "x") == "x")
    }

    @Test("exact match after normalisation, any reference counts")
    func exactMatch() throws {
        let result = try AccuracyMetric(options: .standard).evaluate([
            item("1", "The answer is Boeing.", ["The answer is boeing"]),
            item("2", "The answer is Airbus", ["The answer is Boeing", "The answer is Airbus"]),
            item("3", "The answer is Cessna", ["The answer is Boeing"]),
            item("4", "Boeing", ["boeing"]),
        ])
        #expect(result.correct == [true, true, false, true])
        #expect(result.accuracy == 0.75)
        #expect(result.unparseableCount == 0)
    }

    @Test("multiple-choice letter after \"is\" (the reference benchmark)")
    func letterMode() throws {
        let result = try AccuracyMetric(options: .referenceBenchmark).evaluate([
            item("1", "The answer is B", ["The answer is B"]),
            item("2", "The answer is b. Boeing", ["The answer is B"]),
            item("3", "The answer is C", ["The answer is B"]),
            item("4", "I think B", ["The answer is B"]),   // no "is": unparseable, wrong
            item("5", "The answer is ", ["The answer is B"]), // nothing after "is": unparseable
        ])
        #expect(result.correct == [true, true, false, false, false])
        #expect(result.unparseableCount == 2)
        #expect(result.accuracy == 0.4)
    }

    @Test("closed and open questions are reported separately")
    func closedOpenSplit() throws {
        let result = try AccuracyMetric(options: .vqa).evaluate([
            item("1", "yes", ["Yes"], .closed),
            item("2", "no", ["Yes"], .closed),
            item("3", "no", ["No"], .closed),
            item("4", "the liver", ["Liver"], .open),
            item("5", "lung", ["Heart"], .open),
            item("6", "two", ["2"]),
        ])
        #expect(result.correct == [true, false, true, true, false, true])
        #expect(result.closedCount == 3 && result.openCount == 2)
        #expect(result.closedAccuracy == 2.0 / 3.0)
        #expect(result.openAccuracy == 0.5)
        #expect(result.accuracy == 4.0 / 6.0)
        let unlabelled = try AccuracyMetric().evaluate([item("1", "a", ["a"])])
        #expect(unlabelled.closedAccuracy == nil && unlabelled.openAccuracy == nil)
    }
}

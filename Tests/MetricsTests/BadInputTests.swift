import Testing
@testable import Metrics

@Suite("Bad input throws clear errors; odd text never crashes")
struct BadInputTests {
    @Test("candidate keys that differ from reference keys are named")
    func mismatchedKeys() throws {
        let metrics = CaptionMetrics()
        let error = try #require(throws: MetricsError.self) {
            try metrics.score(candidates: ["img1": "a dog", "img3": "a cat"],
                              references: ["img1": ["a dog"], "img2": ["a bird"]])
        }
        #expect(error == .mismatchedKeys(metric: "captions", withoutCandidate: ["img2"], withoutReferences: ["img3"]))
        #expect(error.description.contains("'img2'") && error.description.contains("'img3'"))
        #expect(throws: MetricsError.self) {
            try CaptionSamples.pair(candidates: ["a": ["x"]], references: ["b": [["x"]]])
        }
    }

    @Test("an empty reference list names the sample")
    func emptyReferences() throws {
        let error = try #require(throws: MetricsError.self) {
            try CaptionMetrics().score(candidates: ["img7": "a dog"], references: ["img7": []])
        }
        #expect(error == .emptyReferences(metric: "captions", id: "img7"))
        #expect(error.description.contains("img7"))
        let sample = TokenizedCaptionSample(id: "s1", candidate: ["a"], references: [])
        #expect(throws: MetricsError.emptyReferences(metric: "CIDEr-D", id: "s1")) { try CIDErD().score([sample]) }
        #expect(throws: MetricsError.emptyReferences(metric: "BLEU", id: "s1")) { try BLEU().score([sample]) }
        #expect(throws: MetricsError.emptyReferences(metric: "ROUGE-L", id: "s1")) { try ROUGEL().score([sample]) }
        #expect(throws: MetricsError.emptyReferences(metric: "vqa", id: "q")) {
            try Evaluator().evaluate([EvaluationItem(id: "q", prediction: "yes", references: [])], task: .vqa)
        }
    }

    @Test("no samples, duplicate ids, unreadable reference boxes")
    func otherErrors() {
        #expect(throws: MetricsError.noSamples(metric: "CIDEr-D")) { try CIDErD().score([]) }
        #expect(throws: MetricsError.noSamples(metric: "grounding")) { try Evaluator().evaluate([], task: .grounding) }
        let twice = [EvaluationItem(id: "x", prediction: "a", references: ["a"]),
                     EvaluationItem(id: "x", prediction: "b", references: ["b"])]
        #expect(throws: MetricsError.duplicateIdentifier(metric: "classification", id: "x")) {
            try Evaluator().evaluate(twice, task: .classification)
        }
        #expect(throws: MetricsError.unparseableReference(id: "g", referenceIndex: 0, text: "no box here")) {
            try IoUMetric().evaluate([EvaluationItem(id: "g", prediction: "[1, 2, 3, 4]", references: ["no box here"])])
        }
    }

    /// Text that stresses tokenizers: scripts, emoji (astral planes), combining marks,
    /// controls, lone BOM and zero-width characters, entities, unusual spaces and breaks.
    private static let oddTexts: [String] = [
        "", " ", "\n", "\r\n\r\n", "\u{0}", "\u{7F}\u{1F}\u{85}", "\u{FEFF}", "\u{200B}\u{200E}",
        "😀🐶👍🏽❤️", "👨‍👩‍👧‍👦", "\u{301}\u{301}a", "e\u{301}\u{308}\u{20DD}", "ΣΣΣ σς Σ", "İstanbul",
        "日本語のテキスト", "مرحبا بالعالم", "𝑥𝟙𝔸", "\u{2028}\u{2029}\u{B}\u{C}", "&amp;&lt;&gt;&quot;&apos;&nbsp;",
        "<<<>>> ((( ))) [[[ ]]] {{{ }}}", "....... ------ ______ ****", "''''\"\"\"\"````",
        "http://", "www.", "@", "#", "$", "U.S.A.B.C.D.E.F.G.H.I.J.K.L.M.N.O.P.",
        String(repeating: "\u{AD}", count: 10),
    ]

    @Test("odd text through the tokenizers and every metric")
    func oddText() throws {
        let tokenized = PTBTokenizer().tokenizedCaptions(Self.oddTexts)
        #expect(tokenized.count == Self.oddTexts.count)
        let items = Self.oddTexts.enumerated().map { index, text in
            EvaluationItem(id: "odd\(index)", prediction: text,
                           references: [Self.oddTexts[(index + 1) % Self.oddTexts.count], "a plain reference"])
        }
        for tokenization in CaptionTokenization.allCases {
            let options = EvaluationOptions(captionTokenization: tokenization)
            let result = try Evaluator(options: options).evaluate(items, task: .captioning)
            for name in [MetricName.cider, .rougeL, .bleu4] {
                #expect(result[name]!.isFinite, "\(name) with \(tokenization)")
            }
        }
        let accuracy = try Evaluator().evaluate(items, task: .vqa)
        #expect(accuracy[.accuracy]!.isFinite)
        let boxes = Self.oddTexts.enumerated().map { index, text in
            EvaluationItem(id: "box\(index)", prediction: text, references: ["[0, 0, 1, 1]"])
        }
        let iou = try Evaluator().evaluate(boxes, task: .grounding)
        #expect(iou.unparseableCount == boxes.count)
    }

    @Test("very long lines")
    func veryLongLines() throws {
        let words = ["a", "dog", "isn't", "running", "(fast)", "U.S.", "3.5", "é", "😀", "--", "on", "grass."]
        let long = (0..<3_000).map { words[$0 % words.count] }.joined(separator: " ")
        let tokens = PTBTokenizer().tokenize(long)
        #expect(tokens.count > 3_000)
        // One unbroken run of characters (no spaces) is also fine.
        let unbroken = String(repeating: "ab.c,d'e-", count: 400)
        #expect(!PTBTokenizer().tokenize(unbroken).isEmpty)
        let item = EvaluationItem(id: "long", prediction: long, references: [long, unbroken])
        let captions = try Evaluator().evaluate([item], task: .captioning)
        #expect(captions[.rougeL] == 1)
        let answer = try Evaluator().evaluate([item], task: .classification)
        #expect(answer[.accuracy] == 1)
        let box = EvaluationItem(id: "box", prediction: long + " are [1, 2, 3, 4]", references: ["[1, 2, 3, 4]"])
        #expect(try Evaluator().evaluate([box], task: .grounding)[.meanIoU] == 1)
    }
}

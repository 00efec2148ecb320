import Foundation
import Testing
@testable import Metrics

// Parity with pycocoevalcap's PTBTokenizer (Stanford CoreNLP 3.4.1 run by Java,
// `-preserveLines -lowerCase`, then punctuation removal), from ptb_tokenizer.json,
// and the whole caption path (tokenize + score) from caption_end_to_end.json.

private struct PTBFixture: Decodable {
    struct Batch: Decodable {
        let inputs: [String]
        let outputs: [String]
    }
    struct Single: Decodable {
        let input: String
        let output: String
    }
    let batch: Batch
    let singles: [Single]
}

private struct EndToEndFixture: Decodable {
    typealias Sample = CaptionFixture.Sample
    typealias Scalar = CaptionFixture.Scalar
    typealias Bleu = CaptionFixture.Bleu
    let samples: [Sample]
    let tokenized_candidates: [String]
    let cider: Scalar
    let bleu: Bleu
    let rouge_l: Scalar
}

@Suite("PTB tokenizer matches pycocoevalcap's Java tokenizer")
struct PTBTokenizerTests {
    @Test("a batch of varied sentences, line by line")
    func batchParity() throws {
        let fixture = try Fixture.load("ptb_tokenizer.json", as: PTBFixture.self)
        #expect(fixture.batch.inputs.count >= 200)
        let outputs = PTBTokenizer().tokenizedCaptions(fixture.batch.inputs)
        try #require(outputs.count == fixture.batch.outputs.count)
        var mismatches = 0
        for (index, (actual, expected)) in zip(outputs, fixture.batch.outputs).enumerated() where actual != expected {
            mismatches += 1
            Issue.record("sentence \(index) \(fixture.batch.inputs[index].debugDescription): got \(actual.debugDescription), Java gave \(expected.debugDescription)")
        }
        #expect(mismatches == 0)
    }

    @Test("sentences tokenised alone (last line of the input)")
    func singleParity() throws {
        let fixture = try Fixture.load("ptb_tokenizer.json", as: PTBFixture.self)
        for single in fixture.singles {
            #expect(PTBTokenizer().tokenizedCaptions([single.input]) == [single.output], "\(single.input.debugDescription)")
        }
    }

    /// Opt-in: tens of thousands of random sentences from Tests/Fixtures/ptb_fuzz.py
    /// (too large to commit). Runs when PTB_FUZZ_FIXTURE names the generated file.
    @Test("randomised sentences (opt-in, PTB_FUZZ_FIXTURE)",
          .enabled(if: ProcessInfo.processInfo.environment["PTB_FUZZ_FIXTURE"] != nil))
    func fuzzParity() throws {
        struct Fuzz: Decodable { let batches: [PTBFixture.Batch] }
        let path = try #require(ProcessInfo.processInfo.environment["PTB_FUZZ_FIXTURE"])
        let fuzz = try JSONDecoder().decode(Fuzz.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        var compared = 0
        var mismatches = 0
        for batch in fuzz.batches {
            let outputs = PTBTokenizer().tokenizedCaptions(batch.inputs)
            for (index, (actual, expected)) in zip(outputs, batch.outputs).enumerated() {
                compared += 1
                if actual != expected {
                    mismatches += 1
                    if mismatches <= 20 {
                        Issue.record("\(batch.inputs[index].debugDescription): got \(actual.debugDescription), Java gave \(expected.debugDescription)")
                    }
                }
            }
        }
        #expect(compared > 0 && mismatches == 0, "\(mismatches) of \(compared) sentences differ")
    }

    @Test("the documented conventions")
    func conventions() {
        let tokenizer = PTBTokenizer()
        #expect(tokenizer.tokenize("A man (in red) isn't riding.")
                == ["a", "man", "-lrb-", "in", "red", "-rrb-", "is", "n't", "riding"])
        #expect(tokenizer.tokenize("\"Cannot\" -- she said; it's $5...") == ["can", "not", "she", "said", "it", "'s", "$", "5"])
        // A fraction stays one PTB token with a no-break space; whitespace splitting then cuts it.
        #expect(tokenizer.tokenizedCaptions(["3 1/2 cups"]) == ["3\u{A0}1/2 cups"])
        #expect(tokenizer.tokenize("3 1/2 cups") == ["3", "1/2", "cups"])
        #expect(tokenizer.tokenize("") == [])
        #expect(tokenizer.tokenizedCaptions([]) == [])
    }

    @Test("an abbreviation at a line end depends on the next caption, as in the Java batch")
    func crossLineContext() {
        // "I." before a line starting "The" is the word "I" plus a period (then dropped).
        let tokenizer = PTBTokenizer()
        #expect(tokenizer.tokenizedCaptions(["Plan I.", "The end"]) == ["plan i", "the end"])
        #expect(tokenizer.tokenizedCaptions(["Plan I.", "the end"]) == ["plan i.", "the end"])
    }

    @Test("line breaks inside a caption do not shift later captions")
    func lineBreaksInsideCaptions() {
        let outputs = PTBTokenizer().tokenizedCaptions(["one\ntwo", "three\r\nfour", "five\u{2028}six", "seven"])
        #expect(outputs == ["one two", "three four", "five six", "seven"])
    }

    @Test("whitespace tokenization splits like Python's str.split()")
    func whitespaceSplitting() {
        #expect(WhitespaceTokenizer.splitLikePython("  A dog,\tthe\u{A0}cat\u{1F}x\n") == ["A", "dog,", "the", "cat", "x"])
        #expect(WhitespaceTokenizer.splitLikePython("") == [])
        #expect(CaptionTokenization.whitespace.tokenize(["a  b", " "]) == [["a", "b"], []])
    }

    @Test("raw captions through PTB and the scorers match pycocoevalcap end to end")
    func endToEnd() throws {
        let fixture = try Fixture.load("caption_end_to_end.json", as: EndToEndFixture.self)
        let report = try CaptionMetrics(tokenization: .ptb).score(
            ids: fixture.samples.map(\.id),
            candidates: fixture.samples.map(\.candidate),
            references: fixture.samples.map(\.references))
        #expect(PTBTokenizer().tokenizedCaptions(fixture.samples.map(\.candidate)) == fixture.tokenized_candidates)
        expectClose(report.cider.corpus, fixture.cider.corpus, "corpus CIDEr-D")
        expectClose(report.rougeL.corpus, fixture.rouge_l.corpus, "corpus ROUGE-L")
        let bleu = try #require(report.bleu)
        for order in 0..<4 {
            expectClose(bleu.corpus[order], fixture.bleu.corpus[order], "corpus BLEU-\(order + 1)")
        }
        for index in fixture.samples.indices {
            expectClose(report.cider.perSample[index], fixture.cider.per_sample[index], "CIDEr-D of sample \(index)")
            expectClose(report.rougeL.perSample[index], fixture.rouge_l.per_sample[index], "ROUGE-L of sample \(index)")
            for order in 0..<4 {
                expectClose(bleu.perSample[index][order], fixture.bleu.per_sample[index][order],
                            "BLEU-\(order + 1) of sample \(index)")
            }
        }
    }
}

import Foundation
import Testing
@testable import Metrics

// Parity with pycocoevalcap 1.2 (Cider, Bleu(4), Rouge) on the caption sets of
// caption_scores.json: corpus and per-sample scores within 1e-6 relative.

private struct ScoredSet: Decodable {
    typealias Sample = CaptionFixture.Sample
    typealias Scalar = CaptionFixture.Scalar
    typealias Bleu = CaptionFixture.Bleu
    let name: String
    let samples: [Sample]
    let cider: Scalar
    let bleu: Bleu
    let rouge_l: Scalar

    /// The fixture strings are pre-tokenised with single spaces, as pycocoevalcap received them.
    var tokenizedSamples: [TokenizedCaptionSample] {
        samples.map { sample in
            TokenizedCaptionSample(id: sample.id,
                                   candidate: WhitespaceTokenizer.splitLikePython(sample.candidate),
                                   references: sample.references.map(WhitespaceTokenizer.splitLikePython))
        }
    }
}

private struct CaptionScoresFixture: Decodable {
    let sets: [ScoredSet]
}

private let captionSets: [ScoredSet] = (try? Fixture.load("caption_scores.json", as: CaptionScoresFixture.self).sets) ?? []

@Suite("Caption metrics match pycocoevalcap")
struct CaptionParityTests {
    @Test("the fixture has the sets the parity claim rests on")
    func fixtureCoverage() throws {
        let main = try #require(captionSets.first { $0.name == "main" })
        #expect(main.samples.count >= 200)
        #expect(main.samples.contains { $0.candidate.isEmpty }, "an empty candidate")
        #expect(main.samples.contains { !$0.candidate.isEmpty && !$0.candidate.contains(" ") }, "a one-word candidate")
        #expect(main.samples.contains { $0.references.count >= 5 })
        #expect(Set(captionSets.map(\.name)).isSuperset(of: ["single-sample", "identical-samples", "long-captions"]))
    }

    @Test("CIDEr-D corpus and per-sample scores", arguments: captionSets.map(\.name))
    func cider(setName: String) throws {
        let set = try #require(captionSets.first { $0.name == setName })
        let score = try CIDErD().score(set.tokenizedSamples)
        expectClose(score.corpus, set.cider.corpus, "\(setName) corpus CIDEr-D")
        try #require(score.perSample.count == set.cider.per_sample.count)
        for (index, (actual, expected)) in zip(score.perSample, set.cider.per_sample).enumerated() {
            expectClose(actual, expected, "\(setName) CIDEr-D of \(set.samples[index].id)")
        }
    }

    @Test("BLEU-1...4 corpus and per-sample scores", arguments: captionSets.map(\.name))
    func bleu(setName: String) throws {
        let set = try #require(captionSets.first { $0.name == setName })
        let score = try BLEU().score(set.tokenizedSamples)
        for order in 0..<4 {
            expectClose(score.corpus[order], set.bleu.corpus[order], "\(setName) corpus BLEU-\(order + 1)")
        }
        try #require(score.perSample.count == set.bleu.per_sample.count)
        for (index, (actual, expected)) in zip(score.perSample, set.bleu.per_sample).enumerated() {
            for order in 0..<4 {
                expectClose(actual[order], expected[order], "\(setName) BLEU-\(order + 1) of \(set.samples[index].id)")
            }
        }
    }

    @Test("ROUGE-L corpus and per-sample scores", arguments: captionSets.map(\.name))
    func rouge(setName: String) throws {
        let set = try #require(captionSets.first { $0.name == setName })
        let score = try ROUGEL().score(set.tokenizedSamples)
        expectClose(score.corpus, set.rouge_l.corpus, "\(setName) corpus ROUGE-L")
        try #require(score.perSample.count == set.rouge_l.per_sample.count)
        for (index, (actual, expected)) in zip(score.perSample, set.rouge_l.per_sample).enumerated() {
            expectClose(actual, expected, "\(setName) ROUGE-L of \(set.samples[index].id)")
        }
    }

    @Test("a set of one sample scores CIDEr 0, as in pycocoevalcap")
    func singleSampleCIDEr() throws {
        let sample = TokenizedCaptionSample(id: "only", candidate: ["a", "dog"], references: [["a", "dog"]])
        #expect(try CIDErD().score([sample]).corpus == 0)
    }

    @Test("hand-computed BLEU and ROUGE-L on a tiny pair")
    func handComputed() throws {
        // Candidate "the cat sat" vs reference "the cat sat down":
        // unigram precision 3/3, bigram 2/2, trigram 1/1, no 4-grams (0/0 -> 1e-15/1e-9);
        // brevity penalty exp(1 - 4/3).
        let sample = TokenizedCaptionSample(id: "x", candidate: ["the", "cat", "sat"],
                                            references: [["the", "cat", "sat", "down"]])
        let bleu = try BLEU().score([sample])
        let penalty = exp(1.0 - 4.0 / 3.0)
        expectClose(bleu.corpus[0], penalty * (3 + 1e-15) / (3 + 1e-9), "BLEU-1")
        // ROUGE-L: LCS 3, P = 1, R = 3/4, F = (1 + 1.44) * 0.75 / (0.75 + 1.44).
        let rouge = try ROUGEL().score([sample])
        expectClose(rouge.corpus, 2.44 * 0.75 / (0.75 + 1.44), "ROUGE-L")
    }

    @Test("tokens compare by scalars, not canonical equivalence (as in Python)")
    func tokensCompareByScalars() throws {
        // "café" precomposed vs decomposed: equal Swift Strings, different Python strings.
        let sample = TokenizedCaptionSample(id: "x", candidate: ["caf\u{E9}"], references: [["cafe\u{301}"]])
        #expect(try ROUGEL().score([sample]).corpus == 0)
        #expect(try BLEU().score([sample]).corpus[0] < 1e-5)
    }
}

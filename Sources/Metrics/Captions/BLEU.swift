import Foundation

// BLEU-1...4 (Papineni et al., ACL 2002) as the COCO caption toolkit computes it
// (pycocoevalcap's `Bleu`, option "closest"):
// - clipped n-gram matches against the per-n-gram maximum count over references;
// - the effective reference length of a sample is the reference length closest
//   to the candidate's (ties go to the shorter reference);
// - corpus BLEU-n = (prod_{k<=n} (matches_k + 1e-15) / (guesses_k + 1e-9))^(1/n)
//   over corpus totals, times the brevity penalty exp(1 - 1/ratio) when
//   ratio = (candidate length + 1e-15) / (reference length + 1e-9) < 1;
// - the per-sample scores apply the same formula to one sample's counts.
// The tiny constants are the toolkit's, kept so that results match it.

/// Corpus-level BLEU-1...N and per-sample BLEU, as the COCO caption toolkit reports them.
public struct BLEUScore: Sendable, Hashable {
    /// `corpus[k]` is BLEU-(k+1) over the whole set.
    public let corpus: [Double]
    /// `perSample[i][k]` is BLEU-(k+1) of sample i alone.
    public let perSample: [[Double]]
}

/// BLEU as pycocoevalcap computes it (closest reference length, brevity penalty).
public struct BLEU: Sendable, Hashable {
    /// Largest n-gram order (4 gives BLEU-1...BLEU-4).
    public let maxOrder: Int

    /// - Parameter maxOrder: largest n-gram order, at least 1.
    public init(maxOrder: Int = 4) {
        precondition(maxOrder >= 1, "BLEU: maxOrder must be at least 1, got \(maxOrder)")
        self.maxOrder = maxOrder
    }

    private static let tiny = 1e-15
    private static let small = 1e-9

    /// Scores tokenised samples.
    ///
    /// - Throws: `MetricsError` for no samples, duplicate ids or empty reference lists.
    public func score(_ samples: [TokenizedCaptionSample]) throws -> BLEUScore {
        try CaptionSamples.validate(samples, metric: "BLEU")
        var vocabulary = TokenVocabulary()
        var totalMatches = [Int](repeating: 0, count: maxOrder)
        var totalGuesses = [Int](repeating: 0, count: maxOrder)
        var totalCandidateLength = 0
        var totalReferenceLength = 0
        var perSample: [[Double]] = []
        perSample.reserveCapacity(samples.count)

        for sample in samples {
            let candidate = vocabulary.encode(sample.candidate)
            var maximumReferenceCounts: [[Int]: Int] = [:]
            var referenceLengths: [Int] = []
            for reference in sample.references {
                let tokens = vocabulary.encode(reference)
                referenceLengths.append(tokens.count)
                for (ngram, count) in ngramCounts(tokens, maxOrder: maxOrder) {
                    maximumReferenceCounts[ngram] = max(maximumReferenceCounts[ngram] ?? 0, count)
                }
            }
            let candidateLength = candidate.count
            // Closest reference length; on a tie the shorter one.
            let referenceLength = referenceLengths.min { lhs, rhs in
                (abs(lhs - candidateLength), lhs) < (abs(rhs - candidateLength), rhs)
            }!
            var matches = [Int](repeating: 0, count: maxOrder)
            for (ngram, count) in ngramCounts(candidate, maxOrder: maxOrder) {
                matches[ngram.count - 1] += min(maximumReferenceCounts[ngram] ?? 0, count)
            }
            let guesses = (1...maxOrder).map { max(0, candidateLength - $0 + 1) }

            perSample.append(bleu(matches: matches, guesses: guesses,
                                  candidateLength: candidateLength, referenceLength: referenceLength))
            for order in 0..<maxOrder {
                totalMatches[order] += matches[order]
                totalGuesses[order] += guesses[order]
            }
            totalCandidateLength += candidateLength
            totalReferenceLength += referenceLength
        }
        let corpus = bleu(matches: totalMatches, guesses: totalGuesses,
                          candidateLength: totalCandidateLength, referenceLength: totalReferenceLength)
        return BLEUScore(corpus: corpus, perSample: perSample)
    }

    /// BLEU-1...N from match and guess counts, with the brevity penalty.
    private func bleu(matches: [Int], guesses: [Int], candidateLength: Int, referenceLength: Int) -> [Double] {
        var product = 1.0
        var scores: [Double] = []
        for order in 0..<maxOrder {
            product *= (Double(matches[order]) + Self.tiny) / (Double(guesses[order]) + Self.small)
            scores.append(pow(product, 1.0 / Double(order + 1)))
        }
        let ratio = (Double(candidateLength) + Self.tiny) / (Double(referenceLength) + Self.small)
        if ratio < 1 {
            let brevityPenalty = exp(1 - 1 / ratio)
            scores = scores.map { $0 * brevityPenalty }
        }
        return scores
    }
}

// ROUGE-L (Lin, "ROUGE: A Package for Automatic Evaluation of Summaries", 2004)
// as the COCO caption toolkit computes it (pycocoevalcap's `Rouge`):
//   P = max over references of LCS(c, r) / |c|,  R = max over references of LCS(c, r) / |r|
//   F = (1 + beta^2) P R / (R + beta^2 P),  beta = 1.2,  F = 0 when P or R is 0.
// Precision and recall are maximised separately (possibly over different
// references). The corpus score is the mean over samples.
//
// pycocoevalcap splits strings on single spaces, so an empty caption is one
// empty token; here an empty token list stands for that one empty token, which
// keeps the toolkit's results (an empty candidate scores 1 against an empty
// reference and 0 otherwise).

/// ROUGE-L F-measure as pycocoevalcap computes it.
public struct ROUGEL: Sendable, Hashable {
    /// Weight of recall relative to precision (pycocoevalcap: 1.2).
    public let beta: Double

    /// - Parameter beta: recall weight, positive (pycocoevalcap: 1.2).
    public init(beta: Double = 1.2) {
        precondition(beta > 0 && beta.isFinite, "ROUGEL: beta must be positive and finite, got \(beta)")
        self.beta = beta
    }

    /// Scores tokenised samples.
    ///
    /// - Throws: `MetricsError` for no samples, duplicate ids or empty reference lists.
    public func score(_ samples: [TokenizedCaptionSample]) throws -> CaptionScore {
        try CaptionSamples.validate(samples, metric: "ROUGE-L")
        var vocabulary = TokenVocabulary()
        // The empty caption's single empty token (see the file comment).
        let emptyCaption = [-1]
        let betaSquared = beta * beta
        var scores: [Double] = []
        scores.reserveCapacity(samples.count)
        for sample in samples {
            let encoded = vocabulary.encode(sample.candidate)
            let candidate = encoded.isEmpty ? emptyCaption : encoded
            var bestPrecision = 0.0
            var bestRecall = 0.0
            for referenceTokens in sample.references {
                let encodedReference = vocabulary.encode(referenceTokens)
                let reference = encodedReference.isEmpty ? emptyCaption : encodedReference
                let common = Double(Self.longestCommonSubsequence(reference, candidate))
                bestPrecision = max(bestPrecision, common / Double(candidate.count))
                bestRecall = max(bestRecall, common / Double(reference.count))
            }
            if bestPrecision != 0 && bestRecall != 0 {
                scores.append((1 + betaSquared) * bestPrecision * bestRecall / (bestRecall + betaSquared * bestPrecision))
            } else {
                scores.append(0)
            }
        }
        return CaptionScore(corpus: scores.reduce(0, +) / Double(scores.count), perSample: scores)
    }

    /// Length of the longest common subsequence, in O(|a| |b|) time and O(min) memory.
    static func longestCommonSubsequence(_ a: [Int], _ b: [Int]) -> Int {
        let (long, short) = a.count >= b.count ? (a, b) : (b, a)
        guard !short.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: short.count + 1)
        var current = previous
        for item in long {
            for column in 1...short.count {
                current[column] = item == short[column - 1]
                    ? previous[column - 1] + 1
                    : max(previous[column], current[column - 1])
            }
            swap(&previous, &current)
        }
        return previous[short.count]
    }
}

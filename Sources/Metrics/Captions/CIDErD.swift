import Foundation

// CIDEr-D (Vedantam, Zitnick and Parikh, "CIDEr: Consensus-based Image
// Description Evaluation", CVPR 2015), computed exactly as pycocoevalcap 1.2's
// `Cider` class does. That class is the CIDEr-D variant (clipped counts and a
// Gaussian length penalty); the package has no separate `CiderD` class.
//
// For n = 1...N (N = 4) every caption becomes a tf-idf vector over its n-grams:
//   g(ngram) = tf(ngram) * (log(|samples|) - log(max(1, df(ngram))))
// where df counts the samples whose references contain the n-gram (document
// frequencies come from the evaluated set's references only). For a candidate c
// and a reference r:
//   sim_n(c, r) = sum over c's n-grams of min(g_c, g_r) * g_r / (|g_c| |g_r|)
//                 * exp(-(l_c - l_r)^2 / (2 sigma^2)),   sigma = 6
// (the division is skipped when either norm is 0). The sample's score is
//   10 * mean_n( sum_r sim_n(c, r) ) / |references|
// and the corpus score is the mean over samples. Two details of pycocoevalcap
// are kept on purpose: the "length" l in the penalty counts the caption's
// bigrams (its number of tokens minus one), and a set of one sample scores 0
// (log(1) = 0 makes every weight zero).

/// CIDEr-D as pycocoevalcap computes it (its `Cider` class).
public struct CIDErD: Sendable, Hashable {
    /// Largest n-gram order (pycocoevalcap: 4).
    public let maxOrder: Int
    /// Standard deviation of the Gaussian length penalty (pycocoevalcap: 6).
    public let sigma: Double

    /// - Parameters:
    ///   - maxOrder: largest n-gram order, at least 1.
    ///   - sigma: length-penalty standard deviation, positive.
    public init(maxOrder: Int = 4, sigma: Double = 6) {
        precondition(maxOrder >= 1, "CIDErD: maxOrder must be at least 1, got \(maxOrder)")
        precondition(sigma > 0 && sigma.isFinite, "CIDErD: sigma must be positive and finite, got \(sigma)")
        self.maxOrder = maxOrder
        self.sigma = sigma
    }

    /// Scores tokenised samples; document frequencies come from these samples' references.
    ///
    /// - Throws: `MetricsError` for no samples, duplicate ids or empty reference lists.
    public func score(_ samples: [TokenizedCaptionSample]) throws -> CaptionScore {
        try CaptionSamples.validate(samples, metric: "CIDEr-D")
        var vocabulary = TokenVocabulary()
        let candidates = samples.map { ngramCounts(vocabulary.encode($0.candidate), maxOrder: maxOrder) }
        let references = samples.map { sample in
            sample.references.map { ngramCounts(vocabulary.encode($0), maxOrder: maxOrder) }
        }

        // Document frequency: in how many samples' reference sets each n-gram occurs.
        var documentFrequency: [[Int]: Double] = [:]
        for referenceSet in references {
            var present = Set<[Int]>()
            for counts in referenceSet { present.formUnion(counts.keys) }
            for ngram in present { documentFrequency[ngram, default: 0] += 1 }
        }
        let logSampleCount = log(Double(samples.count))

        let penaltyDenominator = 2 * sigma * sigma
        var scores: [Double] = []
        scores.reserveCapacity(samples.count)
        for (candidateCounts, referenceSet) in zip(candidates, references) {
            let candidate = weightedVector(candidateCounts, documentFrequency, logSampleCount)
            var sums = [Double](repeating: 0, count: maxOrder)
            for referenceCounts in referenceSet {
                let reference = weightedVector(referenceCounts, documentFrequency, logSampleCount)
                let delta = Double(candidate.length - reference.length)
                let penalty = exp(-(delta * delta) / penaltyDenominator)
                for order in 0..<maxOrder {
                    var value = 0.0
                    for (ngram, weight) in inKeyOrder(candidate.weights[order]) {
                        let referenceWeight = reference.weights[order][ngram] ?? 0
                        // Clipping: a candidate n-gram counts at most as often as in the reference.
                        value += min(weight, referenceWeight) * referenceWeight
                    }
                    if candidate.norms[order] != 0 && reference.norms[order] != 0 {
                        value /= candidate.norms[order] * reference.norms[order]
                    }
                    sums[order] += value * penalty
                }
            }
            let meanOverOrders = sums.reduce(0, +) / Double(maxOrder)
            scores.append(meanOverOrders / Double(referenceSet.count) * 10)
        }
        return CaptionScore(corpus: scores.reduce(0, +) / Double(scores.count), perSample: scores)
    }

    /// The entries of an n-gram table sorted by n-gram. Sums over a Dictionary in its own order
    /// would follow the process's random hash seed, and the last bits of a score with it.
    private func inKeyOrder<Value>(_ table: [[Int]: Value]) -> [(key: [Int], value: Value)] {
        table.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// tf-idf weights per order, their Euclidean norms, and the bigram count used as length.
    private func weightedVector(_ counts: [[Int]: Int], _ documentFrequency: [[Int]: Double],
                                _ logSampleCount: Double)
        -> (weights: [[[Int]: Double]], norms: [Double], length: Int) {
        var weights = [[[Int]: Double]](repeating: [:], count: maxOrder)
        var squaredNorms = [Double](repeating: 0, count: maxOrder)
        var length = 0
        for (ngram, termFrequency) in inKeyOrder(counts) {
            let order = ngram.count - 1
            let inverseDocumentFrequency = logSampleCount - log(max(1, documentFrequency[ngram] ?? 0))
            let weight = Double(termFrequency) * inverseDocumentFrequency
            weights[order][ngram] = weight
            squaredNorms[order] += weight * weight
            // pycocoevalcap counts tokens where its 0-based order index is 1, i.e. bigrams.
            if order == 1 { length += termFrequency }
        }
        return (weights, squaredNorms.map { $0.squareRoot() }, length)
    }
}

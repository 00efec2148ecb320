// Tokenised caption samples, their validation, and the token/n-gram bookkeeping
// shared by CIDEr-D, BLEU and ROUGE-L.

/// One generated caption and its reference captions, already tokenised.
///
/// The caption scorers compare tokens by their exact Unicode scalars (as Python
/// compares strings), not by Swift's canonical equivalence. Empty-string tokens
/// are ignored, as splitting a string on whitespace never produces them.
public struct TokenizedCaptionSample: Sendable, Hashable {
    /// Identifier of the sample (an image or question id).
    public var id: String
    /// Tokens of the generated caption.
    public var candidate: [String]
    /// Tokens of each reference caption; must not be empty.
    public var references: [[String]]

    /// A sample from its id, candidate tokens and reference token lists.
    public init(id: String, candidate: [String], references: [[String]]) {
        self.id = id
        self.candidate = candidate
        self.references = references
    }
}

/// A corpus score and the score of every sample, in sample order.
public struct CaptionScore: Sendable, Hashable {
    /// The corpus-level score (for CIDEr-D and ROUGE-L the mean of `perSample`).
    public let corpus: Double
    /// One score per sample, in the order the samples were given.
    public let perSample: [Double]
}

/// Building and checking caption sample sets.
public enum CaptionSamples {
    /// Pairs keyed candidates with keyed references, as pycocoevalcap's scorers
    /// take them (`res` and `gts` dictionaries), sorted by key.
    ///
    /// - Throws: `MetricsError.mismatchedKeys` naming the keys present on one side
    ///   only; `MetricsError.emptyReferences` for a key with no references.
    public static func pair(candidates: [String: [String]], references: [String: [[String]]],
                            metric: String = "captions") throws -> [TokenizedCaptionSample] {
        let candidateKeys = Set(candidates.keys)
        let referenceKeys = Set(references.keys)
        guard candidateKeys == referenceKeys else {
            throw MetricsError.mismatchedKeys(metric: metric,
                                              withoutCandidate: referenceKeys.subtracting(candidateKeys).sorted(),
                                              withoutReferences: candidateKeys.subtracting(referenceKeys).sorted())
        }
        let samples = candidateKeys.sorted().map { key in
            TokenizedCaptionSample(id: key, candidate: candidates[key]!, references: references[key]!)
        }
        try validate(samples, metric: metric)
        return samples
    }

    /// Checks that there is at least one sample, identifiers are unique and every
    /// sample has at least one reference.
    public static func validate(_ samples: [TokenizedCaptionSample], metric: String) throws {
        guard !samples.isEmpty else { throw MetricsError.noSamples(metric: metric) }
        var seen = Set<String>()
        for sample in samples {
            guard seen.insert(sample.id).inserted else {
                throw MetricsError.duplicateIdentifier(metric: metric, id: sample.id)
            }
            guard !sample.references.isEmpty else {
                throw MetricsError.emptyReferences(metric: metric, id: sample.id)
            }
        }
    }
}

/// Maps tokens to small integers by their UTF-8 bytes, so that equal tokens are
/// exactly the byte-equal ones (Python's notion of string equality).
struct TokenVocabulary {
    private var identifiers: [[UInt8]: Int] = [:]

    mutating func encode(_ tokens: [String]) -> [Int] {
        var encoded: [Int] = []
        encoded.reserveCapacity(tokens.count)
        for token in tokens where !token.isEmpty {
            let bytes = Array(token.utf8)
            if let known = identifiers[bytes] {
                encoded.append(known)
            } else {
                identifiers[bytes] = identifiers.count
                encoded.append(identifiers.count - 1)
            }
        }
        return encoded
    }
}

/// Counts of every n-gram of orders 1...maxOrder in a token sequence
/// (pycocoevalcap's `precook`). An n-gram is keyed by its token identifiers.
func ngramCounts(_ tokens: [Int], maxOrder: Int) -> [[Int]: Int] {
    var counts: [[Int]: Int] = [:]
    guard !tokens.isEmpty else { return counts }
    for order in 1...maxOrder where order <= tokens.count {
        for start in 0...(tokens.count - order) {
            counts[Array(tokens[start..<(start + order)]), default: 0] += 1
        }
    }
    return counts
}

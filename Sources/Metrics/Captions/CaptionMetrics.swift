// One call for the caption metrics of the paper (CIDEr, ROUGE-L) plus BLEU-1...4,
// from raw caption strings: tokenise (PTB or whitespace), then score.

/// Scores of a caption set: CIDEr-D, ROUGE-L and optionally BLEU-1...4.
public struct CaptionMetricsReport: Sendable, Hashable {
    /// Sample identifiers, in the order of every `perSample` array.
    public let ids: [String]
    /// CIDEr-D (pycocoevalcap's `Cider`).
    public let cider: CaptionScore
    /// ROUGE-L with beta 1.2.
    public let rougeL: CaptionScore
    /// BLEU-1...4, when requested.
    public let bleu: BLEUScore?
}

/// Tokenises raw captions and computes CIDEr-D, ROUGE-L and BLEU exactly as
/// pycocoevalcap does on the same tokens.
///
/// ```swift
/// let metrics = CaptionMetrics(tokenization: .ptb)
/// let report = try metrics.score(candidates: ["img1": "A dog runs."],
///                                references: ["img1": ["A dog is running.", "The dog runs."]])
/// report.cider.corpus
/// ```
public struct CaptionMetrics: Sendable, Hashable {
    /// How raw captions become tokens.
    public var tokenization: CaptionTokenization
    /// Whether BLEU-1...4 is computed too.
    public var includesBLEU: Bool
    /// The CIDEr-D scorer.
    public var cider: CIDErD
    /// The ROUGE-L scorer.
    public var rougeL: ROUGEL
    /// The BLEU scorer.
    public var bleu: BLEU

    /// Caption metrics with pycocoevalcap's settings by default.
    public init(tokenization: CaptionTokenization = .ptb, includesBLEU: Bool = true,
                cider: CIDErD = CIDErD(), rougeL: ROUGEL = ROUGEL(), bleu: BLEU = BLEU()) {
        self.tokenization = tokenization
        self.includesBLEU = includesBLEU
        self.cider = cider
        self.rougeL = rougeL
        self.bleu = bleu
    }

    /// Scores candidates against references, both keyed by sample id (pycocoevalcap's
    /// `res` and `gts`). Samples are processed in sorted key order.
    ///
    /// - Throws: `MetricsError.mismatchedKeys` naming the keys on one side only,
    ///   `MetricsError.emptyReferences`, `MetricsError.noSamples`.
    public func score(candidates: [String: String], references: [String: [String]]) throws -> CaptionMetricsReport {
        let candidateKeys = Set(candidates.keys)
        let referenceKeys = Set(references.keys)
        guard candidateKeys == referenceKeys else {
            throw MetricsError.mismatchedKeys(metric: "captions",
                                              withoutCandidate: referenceKeys.subtracting(candidateKeys).sorted(),
                                              withoutReferences: candidateKeys.subtracting(referenceKeys).sorted())
        }
        let ids = candidateKeys.sorted()
        return try score(ids: ids, candidates: ids.map { candidates[$0]! }, references: ids.map { references[$0]! })
    }

    /// Scores parallel arrays of ids, candidates and reference lists.
    ///
    /// Candidates are tokenised as one batch and all references as another, as
    /// pycocoevalcap tokenises its `res` and `gts` dictionaries.
    public func score(ids: [String], candidates: [String], references: [[String]]) throws -> CaptionMetricsReport {
        precondition(ids.count == candidates.count && ids.count == references.count,
                     "CaptionMetrics: \(ids.count) ids, \(candidates.count) candidates, \(references.count) reference lists")
        guard !ids.isEmpty else { throw MetricsError.noSamples(metric: "captions") }
        for (id, referenceList) in zip(ids, references) where referenceList.isEmpty {
            throw MetricsError.emptyReferences(metric: "captions", id: id)
        }
        let candidateTokens = tokenization.tokenize(candidates)
        let flatReferenceTokens = tokenization.tokenize(references.flatMap { $0 })
        var samples: [TokenizedCaptionSample] = []
        samples.reserveCapacity(ids.count)
        var offset = 0
        for (index, id) in ids.enumerated() {
            let count = references[index].count
            samples.append(TokenizedCaptionSample(id: id, candidate: candidateTokens[index],
                                                  references: Array(flatReferenceTokens[offset..<(offset + count)])))
            offset += count
        }
        return CaptionMetricsReport(ids: ids,
                                    cider: try cider.score(samples),
                                    rougeL: try rougeL.score(samples),
                                    bleu: includesBLEU ? try bleu.score(samples) : nil)
    }
}

// The paper's Takeaways 1-6 (FedVLMBench, Sec. 5) as rules that can be judged on any set of
// cells: the paper's own numbers (where every rule must hold) or our measurements.
//
// Every rule is a small set of quantities, each a mean of relative differences between cells,
// compared with a documented bound (TakeawayCriteria). Relative differences make accuracy
// (0-1), IoU (0-1) and CIDEr (0-10) comparable, so they can be averaged across datasets.
// Captioning and report generation are compared on CIDEr; ROUGE-L is never used for a direction.
//
// relativeDifference(a, over: b) = (a - b) / |b|   ("a is x% above b")
// relativeDrop(iid, nonIID)      = (iid - nonIID) / |iid|   ("non-IID loses x% of the IID value")
//
// The rules and their thresholds are documented in Docs/PaperComparison.md. This file uses
// Foundation only.
import Foundation

// MARK: - Criteria

/// An invalid `TakeawayCriteria` field.
public struct TakeawayCriteriaError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming the field and value.
    public let description: String
}

/// The thresholds and algorithm set the takeaway rules use.
///
/// `TakeawayCriteria.paper` is the documented default: with it every takeaway holds on the
/// paper's own numbers. Vary it to see how sensitive a verdict is.
public struct TakeawayCriteria: Sendable, Codable, Equatable {
    /// "Near" (Takeaway 6): federated results may fall short of the central ceiling by at most this
    /// fraction on average (0.05 = within 5% relative). Exceeding the ceiling is allowed.
    public let nearTolerance: Double
    /// "Robust" (Takeaways 4, 5): a text-centric dataset's mean relative IID → non-IID drop is at most this (0.05).
    public let robustDrop: Double
    /// "Significant drop" (Takeaways 4, 5): a vision-centric mean relative IID → non-IID drop is at least
    /// this (0.10). The paper reports about 20% on Fed-FGVC.
    public let significantDrop: Double
    /// Algorithms averaged over by Takeaways 2, 4, 5 and 6 (default: all five). Takeaways 1 and 3
    /// always use FedAvg, the only algorithm of Table 3 and the one the paper reasons with.
    public let algorithms: [String]

    /// The documented defaults: near 5%, robust 5%, significant 10%, all five algorithms.
    public static let paper = TakeawayCriteria(uncheckedNear: 0.05, robust: 0.05, significant: 0.10,
                                               algorithms: PaperReference.algorithms)

    /// Creates criteria, checking that bounds are finite fractions in [0, 1), that
    /// `robustDrop < significantDrop`, and that the algorithms are known and not repeated.
    public init(nearTolerance: Double, robustDrop: Double, significantDrop: Double,
                algorithms: [String] = PaperReference.algorithms) throws {
        for (name, value) in [("nearTolerance", nearTolerance), ("robustDrop", robustDrop),
                              ("significantDrop", significantDrop)]
        where !(value.isFinite && value >= 0 && value < 1) {
            throw TakeawayCriteriaError(description: "TakeawayCriteria.\(name) = \(value): must be a fraction in [0, 1)")
        }
        guard robustDrop < significantDrop else {
            throw TakeawayCriteriaError(description:
                "TakeawayCriteria.robustDrop = \(robustDrop) must be below significantDrop = \(significantDrop)")
        }
        guard !algorithms.isEmpty else {
            throw TakeawayCriteriaError(description: "TakeawayCriteria.algorithms is empty")
        }
        for (index, algorithm) in algorithms.enumerated() {
            guard PaperReference.algorithms.contains(algorithm) else {
                throw TakeawayCriteriaError(description:
                    "TakeawayCriteria.algorithms[\(index)] = '\(algorithm)' is not one of \(PaperReference.algorithms)")
            }
            guard !algorithms[..<index].contains(algorithm) else {
                throw TakeawayCriteriaError(description: "TakeawayCriteria.algorithms[\(index)] = '\(algorithm)' is repeated")
            }
        }
        self.init(uncheckedNear: nearTolerance, robust: robustDrop, significant: significantDrop, algorithms: algorithms)
    }

    private enum CodingKeys: String, CodingKey { case nearTolerance, robustDrop, significantDrop, algorithms }

    /// Decodes and validates like `init(nearTolerance:robustDrop:significantDrop:algorithms:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(nearTolerance: container.decode(Double.self, forKey: .nearTolerance),
                      robustDrop: container.decode(Double.self, forKey: .robustDrop),
                      significantDrop: container.decode(Double.self, forKey: .significantDrop),
                      algorithms: container.decode([String].self, forKey: .algorithms))
    }

    private init(uncheckedNear: Double, robust: Double, significant: Double, algorithms: [String]) {
        self.nearTolerance = uncheckedNear
        self.robustDrop = robust
        self.significantDrop = significant
        self.algorithms = algorithms
    }
}

// MARK: - Verdicts

/// The bound a measured quantity must meet.
public enum TakeawayRequirement: Sendable, Codable, Equatable, CustomStringConvertible {
    /// value > bound
    case greaterThan(Double)
    /// value >= bound
    case atLeast(Double)
    /// value <= bound
    case atMost(Double)

    /// Whether `value` meets the bound (NaN never does).
    public func isSatisfied(by value: Double) -> Bool {
        switch self {
        case .greaterThan(let bound): return value > bound
        case .atLeast(let bound): return value >= bound
        case .atMost(let bound): return value <= bound
        }
    }

    /// E.g. `"> +0.00%"`, `">= -5.00%"`.
    public var description: String {
        switch self {
        case .greaterThan(let bound): return "> \(TakeawayMath.percent(bound))"
        case .atLeast(let bound): return ">= \(TakeawayMath.percent(bound))"
        case .atMost(let bound): return "<= \(TakeawayMath.percent(bound))"
        }
    }
}

/// One measured quantity of a takeaway rule, e.g. "mean relative advantage of mlp2x over linear".
public struct TakeawayQuantity: Sendable, Codable, Equatable {
    /// Stable identifier, e.g. `"mlp2x-over-linear"` or `"encoder-free:Fed-SLAKE:drop"`.
    public let id: String
    /// What was computed, in words.
    public let summary: String
    /// The value, a fraction (0.0172 = 1.72%).
    public let value: Double
    /// The bound the paper's direction implies.
    public let requirement: TakeawayRequirement

    /// Whether `value` meets `requirement`.
    public var isSatisfied: Bool { requirement.isSatisfied(by: value) }
}

/// Whether a takeaway's direction was reproduced.
public enum TakeawayOutcome: String, Sendable, Codable, Equatable {
    /// Every quantity meets its bound.
    case holds
    /// All cells were present and at least one quantity misses its bound.
    case doesNotHold = "does not hold"
    /// Some required cells are missing or not finite; nothing was judged.
    case notMeasured = "not measured"
}

/// The result of judging one takeaway on a set of cells.
public struct TakeawayVerdict: Sendable, Codable, Equatable {
    /// The takeaway judged.
    public let takeaway: Takeaway
    /// The direction the paper found, in one line.
    public let paperDirection: String
    /// The measured quantities with their bounds (empty when not measured).
    public let quantities: [TakeawayQuantity]
    /// Holds, does not hold, or not measured.
    public let outcome: TakeawayOutcome
    /// Required cells that were missing or not finite, sorted (empty unless not measured).
    public let missingCells: [CellKey]
    /// One line saying why.
    public let explanation: String
}

// MARK: - Takeaways

/// Takeaways 1–6 of the paper (Sec. 5), each concerning one of Tables 3–6, with a rule that
/// judges it on any cells: `Takeaway.connectorChoice.judge(lookup: PaperReference.value)`.
public enum Takeaway: Int, CaseIterable, Sendable, Codable {
    /// Takeaway 1 (Table 3): a 2-layer MLP connector is the most effective.
    case connectorChoice = 1
    /// Takeaway 2 (Table 4): LLM tuning for text-centric tasks, connector tuning for vision-centric ones.
    case strategyByTaskType = 2
    /// Takeaway 3 (Table 4): joint connector + LLM tuning beats the two-stage schedule.
    case jointOverSequential = 3
    /// Takeaway 4 (Table 4): encoder-based VLMs are robust to non-IID data on text-centric tasks, not on vision-centric ones.
    case heterogeneityEncoderBased = 4
    /// Takeaway 5 (Table 5): both architectures as in 4; encoder-free drops more on vision-centric tasks.
    case heterogeneityAcrossArchitectures = 5
    /// Takeaway 6 (Table 6): federated multitask learning is near the centralized ceiling.
    case multitaskNearCentral = 6

    /// The paper's takeaway number.
    public var number: Int { rawValue }

    /// The table the takeaway is judged on.
    public var table: String {
        switch self {
        case .connectorChoice: return "table3"
        case .strategyByTaskType, .jointOverSequential, .heterogeneityEncoderBased: return "table4"
        case .heterogeneityAcrossArchitectures: return "table5"
        case .multitaskNearCentral: return "table6"
        }
    }

    /// A short quote of the paper's takeaway.
    public var paperWording: String {
        switch self {
        case .connectorChoice:
            return "Compared to a simple linear layer and a complex 6-layer MLP, a 2-layer MLP emerges as the most effective connector"
        case .strategyByTaskType:
            return "prioritizing LLM fine-tuning enhances performance in text-centric tasks, such as VQA and caption generation, "
                + "while fine-tuning the connector is more effective for visually-driven tasks like image classification"
        case .jointOverSequential:
            return "tuning both the connector and LLM together outperforms tuning the connector first, then the LLM"
        case .heterogeneityEncoderBased:
            return "Encoder-based VLMs maintain robustness on text-centric federated tasks under data heterogeneity, but exhibit "
                + "significant performance drops for vision-centric tasks under non-IID conditions. Current FL optimization methods show limited effectiveness"
        case .heterogeneityAcrossArchitectures:
            return "Both encoder-based and encoder-free VLMs exhibit robust performance on text-centric tasks under non-IID conditions, while "
                + "vision-centric tasks show pronounced sensitivity to non-IID, with encoder-free VLMs exhibiting larger performance drops"
        case .multitaskNearCentral:
            return "Both encoder-based and encoder-free VLMs achieve near-ceiling centralized performance in real-world federated multitask learning"
        }
    }

    /// The direction the paper found, as our rule reads it.
    public var paperDirection: String {
        switch self {
        case .connectorChoice:
            return "mlp2x beats linear and mlp6x (FedAvg, Table 3)"
        case .strategyByTaskType:
            return "F-L beats F-C on Fed-SLAKE and Fed-ScienceCap; F-C beats F-L on Fed-FGVC"
        case .jointOverSequential:
            return "F-CL is at least as good as F-2stage (FedAvg)"
        case .heterogeneityEncoderBased:
            return "non-IID costs little on text-centric datasets, at least 10% on Fed-FGVC, for every algorithm"
        case .heterogeneityAcrossArchitectures:
            return "non-IID costs little on text-centric and at least 10% on vision-centric datasets for both architectures, "
                + "for every algorithm; encoder-free loses more than encoder-based on Fed-FGVC and Fed-RadGenome"
        case .multitaskNearCentral:
            return "federated multitask results are within 5% of MT-Central on average, for both architectures"
        }
    }

    /// The rule in words: which cells, which quantity, which bound (with the default criteria).
    public var rule: String {
        switch self {
        case .connectorChoice:
            return "Table 3, FedAvg rows, IID; over the 4 strategies x {Fed-SLAKE accuracy, Fed-ScienceCap CIDEr}: "
                + "mean relative difference mlp2x over linear > 0 and mlp2x over mlp6x > 0."
        case .strategyByTaskType:
            return "Table 4, over the algorithms x {IID, Non-IID}: mean relative difference F-L over F-C > 0 on Fed-SLAKE "
                + "(accuracy) and on Fed-ScienceCap (CIDEr), each; F-C over F-L > 0 on Fed-FGVC (accuracy)."
        case .jointOverSequential:
            return "Table 4, FedAvg rows; over {Fed-SLAKE, Fed-ScienceCap (CIDEr), Fed-FGVC} x {IID, Non-IID}: "
                + "mean relative difference F-CL over F-2stage >= 0."
        case .heterogeneityEncoderBased:
            return "Table 4, over the 4 strategies x algorithms, relative drop (IID - NonIID)/IID: mean <= robustDrop on Fed-SLAKE "
                + "and on Fed-ScienceCap (CIDEr); mean >= significantDrop on Fed-FGVC; and for every algorithm its Fed-FGVC "
                + "mean over strategies >= significantDrop (no algorithm removes the drop)."
        case .heterogeneityAcrossArchitectures:
            return "Table 5, per architecture over the algorithms, relative drop (IID - NonIID)/IID: mean <= robustDrop on each "
                + "text-centric dataset; mean over {Fed-FGVC, Fed-RadGenome} >= significantDrop, and so for every algorithm; "
                + "per vision-centric dataset, encoder-free mean drop minus encoder-based mean drop > 0."
        case .multitaskNearCentral:
            return "Table 6, per architecture over the algorithms x the 7 tasks (VQA/classification accuracy, caption/report "
                + "CIDEr, grounding/detection IoU): mean relative difference to MT-Central >= -nearTolerance."
        }
    }

    /// Every cell the rule reads, in a stable order, for the given algorithm set.
    public func requiredCells(criteria: TakeawayCriteria = .paper) -> [CellKey] {
        var keys: [CellKey] = []
        var seen = Set<CellKey>()
        for key in requirements(criteria: criteria) where seen.insert(key).inserted { keys.append(key) }
        return keys
    }

    /// Judges the takeaway on the cells `lookup` returns (nil = not measured).
    ///
    /// If any required cell is missing or not finite, the outcome is `.notMeasured` and
    /// `missingCells` names them; otherwise every quantity is computed and the takeaway holds
    /// when all meet their bounds.
    public func judge(lookup: (CellKey) -> Double?, criteria: TakeawayCriteria = .paper) -> TakeawayVerdict {
        let required = requiredCells(criteria: criteria)
        var values: [CellKey: Double] = [:]
        var missing: [CellKey] = []
        for key in required {
            if let value = lookup(key), value.isFinite { values[key] = value } else { missing.append(key) }
        }
        guard missing.isEmpty else {
            missing.sort()
            return TakeawayVerdict(
                takeaway: self, paperDirection: paperDirection, quantities: [], outcome: .notMeasured,
                missingCells: missing,
                explanation: "Not measured: \(missing.count) of \(required.count) required cells missing or not finite, first \(missing[0]).")
        }
        let cells = MeasuredCells(values: values)
        let quantities = measure(cells, criteria: criteria)
        let failing = quantities.filter { !$0.isSatisfied }
        let outcome: TakeawayOutcome = failing.isEmpty ? .holds : .doesNotHold
        let listed = (failing.isEmpty ? quantities : failing)
            .map { "\($0.id) = \(TakeawayMath.percent($0.value)) (needs \($0.requirement))" }
            .joined(separator: "; ")
        let explanation = failing.isEmpty
            ? "Holds: \(listed)."
            : "Does not hold: \(failing.count) of \(quantities.count) checks fail: \(listed)."
        return TakeawayVerdict(takeaway: self, paperDirection: paperDirection, quantities: quantities, outcome: outcome,
                               missingCells: [], explanation: explanation)
    }

    /// Judges every takeaway, in order.
    public static func judgeAll(lookup: (CellKey) -> Double?, criteria: TakeawayCriteria = .paper) -> [TakeawayVerdict] {
        allCases.map { $0.judge(lookup: lookup, criteria: criteria) }
    }

    // MARK: Cells each rule reads

    private static let fedAvg = "FedAvg"
    private static let table4Datasets = ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC"]

    private static func singleTask(_ table: String, _ group: String, _ method: String, _ dataset: String,
                                   _ partition: String) -> CellKey {
        guard let metric = PaperReference.primaryMetric(dataset: dataset) else {
            preconditionFailure("no primary metric for \(dataset)")
        }
        return CellKey(table: table, group: group, method: method, dataset: dataset, partition: partition, metric: metric)
    }

    private static func table3(_ connector: String, _ strategy: String, _ dataset: String) -> CellKey {
        singleTask("table3", "\(connector) \(strategy)", fedAvg, dataset, "IID")
    }

    private static func table4(_ strategy: String, _ method: String, _ dataset: String, _ partition: String) -> CellKey {
        singleTask("table4", strategy, method, dataset, partition)
    }

    private static func table5(_ architecture: String, _ method: String, _ dataset: String, _ partition: String) -> CellKey {
        singleTask("table5", architecture, method, dataset, partition)
    }

    private static func table6(_ architecture: String, _ method: String, _ dataset: String, _ metric: String) -> CellKey {
        CellKey(table: "table6", group: architecture, method: method, dataset: dataset, partition: "", metric: metric)
    }

    private func requirements(criteria: TakeawayCriteria) -> [CellKey] {
        let algorithms = criteria.algorithms
        let partitions = PaperReference.partitions
        switch self {
        case .connectorChoice:
            return PaperReference.textCentricDatasets.flatMap { dataset in
                PaperReference.strategies.flatMap { strategy in
                    PaperReference.connectors.map { Self.table3($0, strategy, dataset) }
                }
            }
        case .strategyByTaskType:
            return Self.table4Datasets.flatMap { dataset in
                ["F-C", "F-L"].flatMap { strategy in
                    algorithms.flatMap { method in partitions.map { Self.table4(strategy, method, dataset, $0) } }
                }
            }
        case .jointOverSequential:
            return Self.table4Datasets.flatMap { dataset in
                ["F-CL", "F-2stage"].flatMap { strategy in partitions.map { Self.table4(strategy, Self.fedAvg, dataset, $0) } }
            }
        case .heterogeneityEncoderBased:
            return Self.table4Datasets.flatMap { dataset in
                PaperReference.strategies.flatMap { strategy in
                    algorithms.flatMap { method in partitions.map { Self.table4(strategy, method, dataset, $0) } }
                }
            }
        case .heterogeneityAcrossArchitectures:
            return PaperReference.architectures.flatMap { architecture in
                (PaperReference.textCentricDatasets + PaperReference.visionCentricDatasets).flatMap { dataset in
                    algorithms.flatMap { method in partitions.map { Self.table5(architecture, method, dataset, $0) } }
                }
            }
        case .multitaskNearCentral:
            return PaperReference.architectures.flatMap { architecture in
                (["MT-Central"] + algorithms).flatMap { method in
                    PaperReference.multitaskPrimaryMetrics.map { Self.table6(architecture, method, $0.dataset, $0.metric) }
                }
            }
        }
    }

    // MARK: Quantities each rule computes

    private func measure(_ cells: MeasuredCells, criteria: TakeawayCriteria) -> [TakeawayQuantity] {
        let algorithms = criteria.algorithms
        let partitions = PaperReference.partitions
        switch self {
        case .connectorChoice:
            // Pairs (strategy, dataset) of Table 3's FedAvg rows; CIDEr for Fed-ScienceCap.
            let pairs = PaperReference.textCentricDatasets.flatMap { dataset in
                PaperReference.strategies.map { (strategy: $0, dataset: dataset) }
            }
            func advantage(over connector: String) -> Double {
                TakeawayMath.mean(pairs.map {
                    TakeawayMath.relativeDifference(cells[Self.table3("mlp2x", $0.strategy, $0.dataset)],
                                                    over: cells[Self.table3(connector, $0.strategy, $0.dataset)])
                })
            }
            return [
                TakeawayQuantity(id: "mlp2x-over-linear",
                                 summary: "mean relative difference mlp2x over linear (FedAvg, 4 strategies x 2 datasets)",
                                 value: advantage(over: "linear"), requirement: .greaterThan(0)),
                TakeawayQuantity(id: "mlp2x-over-mlp6x",
                                 summary: "mean relative difference mlp2x over mlp6x (FedAvg, 4 strategies x 2 datasets)",
                                 value: advantage(over: "mlp6x"), requirement: .greaterThan(0)),
            ]

        case .strategyByTaskType:
            func advantage(_ better: String, over worse: String, on dataset: String) -> Double {
                TakeawayMath.mean(algorithms.flatMap { method in
                    partitions.map {
                        TakeawayMath.relativeDifference(cells[Self.table4(better, method, dataset, $0)],
                                                        over: cells[Self.table4(worse, method, dataset, $0)])
                    }
                })
            }
            return PaperReference.textCentricDatasets.map { dataset in
                TakeawayQuantity(id: "\(dataset):F-L-over-F-C",
                                 summary: "\(dataset): mean relative difference F-L over F-C (algorithms x partitions)",
                                 value: advantage("F-L", over: "F-C", on: dataset), requirement: .greaterThan(0))
            } + [
                TakeawayQuantity(id: "Fed-FGVC:F-C-over-F-L",
                                 summary: "Fed-FGVC: mean relative difference F-C over F-L (algorithms x partitions)",
                                 value: advantage("F-C", over: "F-L", on: "Fed-FGVC"), requirement: .greaterThan(0)),
            ]

        case .jointOverSequential:
            let value = TakeawayMath.mean(Self.table4Datasets.flatMap { dataset in
                partitions.map {
                    TakeawayMath.relativeDifference(cells[Self.table4("F-CL", Self.fedAvg, dataset, $0)],
                                                    over: cells[Self.table4("F-2stage", Self.fedAvg, dataset, $0)])
                }
            })
            return [TakeawayQuantity(id: "F-CL-over-F-2stage",
                                     summary: "mean relative difference F-CL over F-2stage (FedAvg, 3 datasets x 2 partitions)",
                                     value: value, requirement: .atLeast(0))]

        case .heterogeneityEncoderBased:
            func drop(_ strategy: String, _ method: String, _ dataset: String) -> Double {
                TakeawayMath.relativeDrop(iid: cells[Self.table4(strategy, method, dataset, "IID")],
                                          nonIID: cells[Self.table4(strategy, method, dataset, "Non-IID")])
            }
            func meanDrop(_ dataset: String, methods: [String]) -> Double {
                TakeawayMath.mean(PaperReference.strategies.flatMap { strategy in methods.map { drop(strategy, $0, dataset) } })
            }
            var quantities = PaperReference.textCentricDatasets.map { dataset in
                TakeawayQuantity(id: "\(dataset):drop",
                                 summary: "\(dataset): mean relative IID to non-IID drop (strategies x algorithms)",
                                 value: meanDrop(dataset, methods: algorithms), requirement: .atMost(criteria.robustDrop))
            }
            quantities.append(TakeawayQuantity(
                id: "Fed-FGVC:drop", summary: "Fed-FGVC: mean relative IID to non-IID drop (strategies x algorithms)",
                value: meanDrop("Fed-FGVC", methods: algorithms), requirement: .atLeast(criteria.significantDrop)))
            quantities.append(TakeawayQuantity(
                id: "Fed-FGVC:smallest-algorithm-drop",
                summary: "Fed-FGVC: smallest per-algorithm mean drop (over strategies)",
                value: algorithms.map { meanDrop("Fed-FGVC", methods: [$0]) }.min() ?? .nan,
                requirement: .atLeast(criteria.significantDrop)))
            return quantities

        case .heterogeneityAcrossArchitectures:
            func drop(_ architecture: String, _ method: String, _ dataset: String) -> Double {
                TakeawayMath.relativeDrop(iid: cells[Self.table5(architecture, method, dataset, "IID")],
                                          nonIID: cells[Self.table5(architecture, method, dataset, "Non-IID")])
            }
            func meanDrop(_ architecture: String, datasets: [String], methods: [String]) -> Double {
                TakeawayMath.mean(datasets.flatMap { dataset in methods.map { drop(architecture, $0, dataset) } })
            }
            let vision = PaperReference.visionCentricDatasets
            var quantities: [TakeawayQuantity] = []
            for architecture in PaperReference.architectures {
                for dataset in PaperReference.textCentricDatasets {
                    quantities.append(TakeawayQuantity(
                        id: "\(architecture):\(dataset):drop",
                        summary: "\(architecture), \(dataset): mean relative IID to non-IID drop (algorithms)",
                        value: meanDrop(architecture, datasets: [dataset], methods: algorithms),
                        requirement: .atMost(criteria.robustDrop)))
                }
                quantities.append(TakeawayQuantity(
                    id: "\(architecture):vision:drop",
                    summary: "\(architecture): mean relative drop over Fed-FGVC and Fed-RadGenome (algorithms)",
                    value: meanDrop(architecture, datasets: vision, methods: algorithms),
                    requirement: .atLeast(criteria.significantDrop)))
                quantities.append(TakeawayQuantity(
                    id: "\(architecture):vision:smallest-algorithm-drop",
                    summary: "\(architecture): smallest per-algorithm mean drop over Fed-FGVC and Fed-RadGenome",
                    value: algorithms.map { meanDrop(architecture, datasets: vision, methods: [$0]) }.min() ?? .nan,
                    requirement: .atLeast(criteria.significantDrop)))
            }
            for dataset in vision {
                quantities.append(TakeawayQuantity(
                    id: "\(dataset):encoder-free-minus-encoder-based-drop",
                    summary: "\(dataset): encoder-free mean drop minus encoder-based mean drop (algorithms)",
                    value: meanDrop("encoder-free", datasets: [dataset], methods: algorithms)
                        - meanDrop("encoder-based", datasets: [dataset], methods: algorithms),
                    requirement: .greaterThan(0)))
            }
            return quantities

        case .multitaskNearCentral:
            return PaperReference.architectures.map { architecture in
                let gaps = algorithms.flatMap { method in
                    PaperReference.multitaskPrimaryMetrics.map {
                        TakeawayMath.relativeDifference(cells[Self.table6(architecture, method, $0.dataset, $0.metric)],
                                                        over: cells[Self.table6(architecture, "MT-Central", $0.dataset, $0.metric)])
                    }
                }
                return TakeawayQuantity(
                    id: "\(architecture):gap-to-MT-Central",
                    summary: "\(architecture): mean relative difference federated over MT-Central (algorithms x 7 tasks)",
                    value: TakeawayMath.mean(gaps), requirement: .atLeast(-criteria.nearTolerance))
            }
        }
    }
}

// MARK: - Arithmetic

/// Cells already checked to be present and finite.
private struct MeasuredCells {
    let values: [CellKey: Double]

    subscript(key: CellKey) -> Double {
        guard let value = values[key] else { preconditionFailure("rule reads \(key), which is not in its required cells") }
        return value
    }
}

/// The arithmetic of the rules, kept in one namespace.
private enum TakeawayMath {
    /// (a - b) / |b|. A reference below 1e-12 in magnitude gives 0 when `a` is also that small,
    /// else +1 or -1 (a capped "100%"), so untrained models scoring 0 stay judgeable.
    static func relativeDifference(_ a: Double, over b: Double) -> Double {
        let tiny = 1e-12
        if abs(b) < tiny { return abs(a) < tiny ? 0 : (a > b ? 1 : -1) }
        return (a - b) / abs(b)
    }

    /// Relative loss from IID to non-IID: (iid - nonIID) / |iid| (negative when non-IID is better).
    static func relativeDrop(iid: Double, nonIID: Double) -> Double {
        -relativeDifference(nonIID, over: iid)
    }

    static func mean(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "mean of no values")
        return values.reduce(0, +) / Double(values.count)
    }

    /// A fraction as a signed percentage with two decimals, e.g. `+1.72%`.
    static func percent(_ fraction: Double) -> String {
        String(format: "%+.2f%%", fraction * 100)
    }
}

// The takeaway rules: on the paper's numbers every takeaway holds and every quantity equals the
// fixture script's independent computation; on cells with reversed directions it does not hold;
// with missing cells it is not measured.
import Foundation
import Testing
@testable import Experiments

/// The paper's cells with a transformation applied to each (key, value).
private func transformedPaper(_ transform: @escaping (CellKey, Double) -> Double?) -> (CellKey) -> Double? {
    { key in PaperReference.value(key).flatMap { transform(key, $0) } }
}

/// The paper's cells with every `group` equal to `a` read from `b` and vice versa.
private func swappingGroups(_ a: String, _ b: String, table: String) -> (CellKey) -> Double? {
    { key in
        guard key.table == table, key.group == a || key.group == b else { return PaperReference.value(key) }
        var swapped = key
        swapped.group = key.group == a ? b : a
        return PaperReference.value(swapped)
    }
}

@Suite("Paper takeaways")
struct TakeawaysTests {
    @Test("on the paper's own numbers every takeaway holds", arguments: Takeaway.allCases)
    func paperNumbersHold(takeaway: Takeaway) {
        let verdict = takeaway.judge(lookup: PaperReference.value)
        #expect(verdict.outcome == .holds, "\(verdict.explanation)")
        #expect(verdict.missingCells.isEmpty)
        #expect(!verdict.quantities.isEmpty && verdict.quantities.allSatisfy(\.isSatisfied))
        #expect(verdict.explanation.hasPrefix("Holds: "))
        #expect(verdict.takeaway == takeaway && verdict.paperDirection == takeaway.paperDirection)
    }

    @Test("quantities equal the fixture script's independent computation", arguments: Takeaway.allCases)
    func quantitiesMatchFixture(takeaway: Takeaway) throws {
        let fixture = try PaperReferenceFixture.load()
        let expected = try #require(fixture.takeawayQuantities[String(takeaway.number)])
        let verdict = takeaway.judge(lookup: PaperReference.value)
        #expect(Set(verdict.quantities.map(\.id)) == Set(expected.keys))
        for quantity in verdict.quantities {
            let value = try #require(expected[quantity.id], "\(quantity.id) not in fixture")
            #expect(abs(quantity.value - value) < 1e-12, "\(quantity.id): \(quantity.value) vs \(value)")
        }
    }

    @Test("the cells each rule reads all exist in the paper")
    func requiredCellsExistInPaper() {
        let counts: [Takeaway: Int] = [
            .connectorChoice: 4 * 2 * 3,                  // strategies x datasets x connectors
            .strategyByTaskType: 3 * 2 * 5 * 2,           // datasets x {F-C, F-L} x algorithms x partitions
            .jointOverSequential: 3 * 2 * 2,              // datasets x {F-CL, F-2stage} x partitions (FedAvg)
            .heterogeneityEncoderBased: 3 * 4 * 5 * 2,    // datasets x strategies x algorithms x partitions
            .heterogeneityAcrossArchitectures: 2 * 4 * 5 * 2,
            .multitaskNearCentral: 2 * 6 * 7,             // architectures x (MT-Central + 5) x tasks
        ]
        for takeaway in Takeaway.allCases {
            let cells = takeaway.requiredCells()
            #expect(cells.count == counts[takeaway], "\(takeaway)")
            #expect(Set(cells).count == cells.count)
            #expect(cells.allSatisfy { PaperReference.value($0) != nil && $0.table == takeaway.table }, "\(takeaway)")
            #expect(cells.allSatisfy { !$0.metric.contains("ROUGE-L") }, "directions use CIDEr, not ROUGE-L")
        }
    }

    @Test("Takeaway 1 fails when linear and mlp2x trade places")
    func connectorReversed() {
        let verdict = Takeaway.connectorChoice.judge(lookup: { key in
            guard key.table == "table3" else { return PaperReference.value(key) }
            var other = key
            if key.group.hasPrefix("mlp2x ") { other.group = "linear " + key.group.dropFirst(6) }
            if key.group.hasPrefix("linear ") { other.group = "mlp2x " + key.group.dropFirst(7) }
            return PaperReference.value(other)
        })
        #expect(verdict.outcome == .doesNotHold)
        #expect(verdict.quantities.filter { !$0.isSatisfied }.map(\.id) == ["mlp2x-over-linear"])
        #expect(verdict.explanation.hasPrefix("Does not hold: 1 of 2 checks fail: mlp2x-over-linear"))
    }

    @Test("Takeaway 2 fails when F-C and F-L trade places")
    func strategyReversed() {
        let verdict = Takeaway.strategyByTaskType.judge(lookup: swappingGroups("F-C", "F-L", table: "table4"))
        #expect(verdict.outcome == .doesNotHold)
        #expect(verdict.quantities.allSatisfy { !$0.isSatisfied })
    }

    @Test("Takeaway 3 fails when F-CL and F-2stage trade places")
    func jointReversed() {
        let verdict = Takeaway.jointOverSequential.judge(lookup: swappingGroups("F-CL", "F-2stage", table: "table4"))
        #expect(verdict.outcome == .doesNotHold)
        #expect(verdict.quantities.count == 1 && verdict.quantities[0].value < 0)
    }

    @Test("Takeaway 4 fails when non-IID helps vision, and when text-centric tasks collapse under non-IID")
    func heterogeneityEncoderBasedReversed() {
        let swappedPartitions = Takeaway.heterogeneityEncoderBased.judge(lookup: { key in
            var other = key
            other.partition = key.partition == "IID" ? "Non-IID" : "IID"
            return PaperReference.value(other)
        })
        #expect(swappedPartitions.outcome == .doesNotHold)
        #expect(Set(swappedPartitions.quantities.filter { !$0.isSatisfied }.map(\.id))
                == ["Fed-FGVC:drop", "Fed-FGVC:smallest-algorithm-drop"])

        let textCollapse = Takeaway.heterogeneityEncoderBased.judge(lookup: transformedPaper { key, value in
            key.dataset == "Fed-SLAKE" && key.partition == "Non-IID" ? value * 0.7 : value
        })
        #expect(textCollapse.outcome == .doesNotHold)
        #expect(textCollapse.quantities.filter { !$0.isSatisfied }.map(\.id) == ["Fed-SLAKE:drop"])
    }

    @Test("Takeaway 4's 'limited effectiveness' fails when one algorithm removes the vision drop")
    func oneAlgorithmFixesHeterogeneity() {
        let verdict = Takeaway.heterogeneityEncoderBased.judge(lookup: transformedPaper { key, value in
            guard key.method == "FedProx", key.dataset == "Fed-FGVC", key.partition == "Non-IID" else { return value }
            return PaperReference.value(CellKey(table: key.table, group: key.group, method: key.method, dataset: key.dataset,
                                               partition: "IID", metric: key.metric))
        })
        #expect(verdict.outcome == .doesNotHold)
        #expect(verdict.quantities.filter { !$0.isSatisfied }.map(\.id) == ["Fed-FGVC:smallest-algorithm-drop"])
    }

    @Test("Takeaway 5 fails when the architectures trade places")
    func architecturesReversed() {
        let verdict = Takeaway.heterogeneityAcrossArchitectures.judge(
            lookup: swappingGroups("encoder-based", "encoder-free", table: "table5"))
        #expect(verdict.outcome == .doesNotHold)
        #expect(Set(verdict.quantities.filter { !$0.isSatisfied }.map(\.id))
                == ["Fed-FGVC:encoder-free-minus-encoder-based-drop", "Fed-RadGenome:encoder-free-minus-encoder-based-drop"])
    }

    @Test("Takeaway 5 fails when vision-centric tasks do not drop")
    func architecturesWithoutVisionDrop() {
        let verdict = Takeaway.heterogeneityAcrossArchitectures.judge(lookup: transformedPaper { key, value in
            guard PaperReference.visionCentricDatasets.contains(key.dataset), key.partition == "Non-IID" else { return value }
            var iid = key
            iid.partition = "IID"
            return PaperReference.value(iid)
        })
        #expect(verdict.outcome == .doesNotHold)
        let failing = Set(verdict.quantities.filter { !$0.isSatisfied }.map(\.id))
        #expect(failing.isSuperset(of: ["encoder-based:vision:drop", "encoder-free:vision:drop"]))
        #expect(failing.allSatisfy { !$0.contains("Fed-SLAKE") && !$0.contains("Fed-ScienceCap") })
    }

    @Test("Takeaway 6 fails when federated multitask learning reaches only 80% of MT-Central")
    func multitaskFarFromCentral() {
        let verdict = Takeaway.multitaskNearCentral.judge(lookup: { key in
            guard key.table == "table6", key.method != "MT-Central" else { return PaperReference.value(key) }
            var central = key
            central.method = "MT-Central"
            return PaperReference.value(central).map { $0 * 0.8 }
        })
        #expect(verdict.outcome == .doesNotHold)
        #expect(verdict.quantities.map(\.value).allSatisfy { abs($0 + 0.2) < 1e-12 })
    }

    @Test("Takeaway 6 on synthetic cells: 'near' is a one-sided 5% relative tolerance")
    func multitaskNearThreshold() {
        func verdict(federatedOverCentral ratio: Double) -> TakeawayVerdict {
            Takeaway.multitaskNearCentral.judge(lookup: { key in key.method == "MT-Central" ? 0.6 : 0.6 * ratio })
        }
        #expect(verdict(federatedOverCentral: 0.96).outcome == .holds)
        #expect(verdict(federatedOverCentral: 1.30).outcome == .holds)    // above the ceiling is still near it
        #expect(verdict(federatedOverCentral: 0.94).outcome == .doesNotHold)
        // Zero scores on both sides (an untrained run) give a gap of 0, not a division by zero.
        let zeros = Takeaway.multitaskNearCentral.judge(lookup: { _ in 0 })
        #expect(zeros.outcome == .holds && zeros.quantities.allSatisfy { $0.value == 0 })
    }

    @Test("synthetic single-task cells built from scratch follow each rule's direction")
    func syntheticSingleTask() {
        // Text-centric datasets score 0.8 with F-L/mlp2x/F-CL ahead; Fed-FGVC favours F-C and loses 30% non-IID.
        func cell(_ key: CellKey) -> Double? {
            var value = key.dataset == "Fed-ScienceCap" ? 7.0 : 0.8
            let isVision = PaperReference.visionCentricDatasets.contains(key.dataset)
            if key.group.hasPrefix("mlp2x") { value *= 1.02 }
            if key.group.hasSuffix("F-CL") { value *= 1.01 }
            if key.group == "F-L" { value *= isVision ? 0.9 : 1.1 }
            if isVision && key.partition == "Non-IID" { value *= key.group == "encoder-free" ? 0.6 : 0.7 }
            return value
        }
        for takeaway in Takeaway.allCases where takeaway != .multitaskNearCentral {
            let verdict = takeaway.judge(lookup: cell)
            #expect(verdict.outcome == .holds, "\(takeaway): \(verdict.explanation)")
        }
        let flat = { (key: CellKey) -> Double? in key.dataset == "Fed-ScienceCap" ? 7.0 : 0.8 }
        for takeaway in [Takeaway.connectorChoice, .strategyByTaskType, .heterogeneityEncoderBased, .heterogeneityAcrossArchitectures] {
            #expect(takeaway.judge(lookup: flat).outcome == .doesNotHold, "\(takeaway) on identical cells")
        }
        // Ties satisfy "at least as good" (Takeaway 3) but not "better" (the others).
        #expect(Takeaway.jointOverSequential.judge(lookup: flat).outcome == .holds)
    }

    @Test("missing or non-finite cells make a takeaway not measured, naming them")
    func missingCells() throws {
        for takeaway in Takeaway.allCases {
            let verdict = takeaway.judge(lookup: { _ in nil })
            #expect(verdict.outcome == .notMeasured)
            #expect(verdict.quantities.isEmpty)
            #expect(verdict.missingCells == takeaway.requiredCells().sorted())
        }
        let dropped = try #require(Takeaway.heterogeneityAcrossArchitectures.requiredCells().last)
        let oneMissing = Takeaway.heterogeneityAcrossArchitectures.judge(lookup: { $0 == dropped ? nil : PaperReference.value($0) })
        #expect(oneMissing.outcome == .notMeasured)
        #expect(oneMissing.missingCells == [dropped])
        #expect(oneMissing.explanation.contains(dropped.description))
        #expect(oneMissing.explanation.contains("1 of 80"))

        let nan = Takeaway.connectorChoice.judge(lookup: { $0.group == "mlp6x F-L" ? .nan : PaperReference.value($0) })
        #expect(nan.outcome == .notMeasured)
        #expect(nan.missingCells.count == 2 && nan.missingCells.allSatisfy { $0.group == "mlp6x F-L" })
    }

    @Test("judgeAll returns one verdict per takeaway, in order")
    func judgeAll() {
        let verdicts = Takeaway.judgeAll(lookup: PaperReference.value)
        #expect(verdicts.map(\.takeaway.number) == [1, 2, 3, 4, 5, 6])
        #expect(verdicts.allSatisfy { $0.outcome == .holds })
    }

    @Test("criteria: a subset of algorithms narrows the averages; bad fields throw naming them")
    func criteria() throws {
        let fedAvgOnly = try TakeawayCriteria(nearTolerance: 0.05, robustDrop: 0.05, significantDrop: 0.10, algorithms: ["FedAvg"])
        #expect(Takeaway.strategyByTaskType.requiredCells(criteria: fedAvgOnly).count == 3 * 2 * 2)
        #expect(Takeaway.connectorChoice.requiredCells(criteria: fedAvgOnly) == Takeaway.connectorChoice.requiredCells())
        // Only FedAvg cells are needed now, so a lookup without the other algorithms still measures.
        let onlyFedAvgCells = { (key: CellKey) -> Double? in
            key.method == "FedAvg" || key.method.hasSuffix("Central") ? PaperReference.value(key) : nil
        }
        for takeaway in Takeaway.allCases {
            #expect(takeaway.judge(lookup: onlyFedAvgCells, criteria: fedAvgOnly).outcome != .notMeasured, "\(takeaway)")
            #expect(takeaway.judge(lookup: onlyFedAvgCells).outcome == (takeaway.number == 1 || takeaway.number == 3
                                                                        ? .holds : .notMeasured), "\(takeaway)")
        }
        // A stricter "significant" drop: encoder-based Fed-RadGenome + Fed-FGVC drop 15.1% on average, so 20% fails.
        let strict = try TakeawayCriteria(nearTolerance: 0.05, robustDrop: 0.05, significantDrop: 0.20)
        #expect(Takeaway.heterogeneityAcrossArchitectures.judge(lookup: PaperReference.value, criteria: strict).outcome
                == .doesNotHold)

        #expect(throws: TakeawayCriteriaError(description: "TakeawayCriteria.nearTolerance = -0.1: must be a fraction in [0, 1)")) {
            try TakeawayCriteria(nearTolerance: -0.1, robustDrop: 0.05, significantDrop: 0.1)
        }
        #expect(throws: TakeawayCriteriaError.self) {
            try TakeawayCriteria(nearTolerance: 0.05, robustDrop: 0.2, significantDrop: 0.1)
        }
        #expect(throws: TakeawayCriteriaError(description:
            "TakeawayCriteria.algorithms[1] = 'FedNova' is not one of [\"FedAvg\", \"FedProx\", \"FedAdam\", \"FedAvgM\", \"FedYogi\"]")) {
            try TakeawayCriteria(nearTolerance: 0.05, robustDrop: 0.05, significantDrop: 0.1, algorithms: ["FedAvg", "FedNova"])
        }
        #expect(throws: TakeawayCriteriaError.self) {
            try TakeawayCriteria(nearTolerance: 0.05, robustDrop: 0.05, significantDrop: 0.1, algorithms: [])
        }
        #expect(throws: TakeawayCriteriaError.self) {
            try TakeawayCriteria(nearTolerance: 0.05, robustDrop: 0.05, significantDrop: 0.1, algorithms: ["FedAvg", "FedAvg"])
        }
        let defaults = try TakeawayCriteria(nearTolerance: 0.05, robustDrop: 0.05, significantDrop: 0.10)
        #expect(TakeawayCriteria.paper == defaults)
        #expect(try JSONDecoder().decode(TakeawayCriteria.self, from: JSONEncoder().encode(fedAvgOnly)) == fedAvgOnly)
        let badJSON = Data(#"{"nearTolerance": 0.05, "robustDrop": 0.05, "significantDrop": 0.1, "algorithms": ["FedSGD"]}"#.utf8)
        #expect(throws: TakeawayCriteriaError.self) { try JSONDecoder().decode(TakeawayCriteria.self, from: badJSON) }
    }

    @Test("Takeaway 3 rests on FedAvg: over all five algorithms F-CL trails F-2stage in the paper's Table 4")
    func jointOverSequentialDependsOnFedAvg() {
        // Documented in Docs/PaperComparison.md; computed here without the library's rule code.
        var differences: [Double] = []
        for method in PaperReference.algorithms {
            for dataset in ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC"] {
                for partition in PaperReference.partitions {
                    let metric = dataset == "Fed-ScienceCap" ? "CIDEr" : "accuracy"
                    func value(_ strategy: String) -> Double {
                        PaperReference.value(CellKey(table: "table4", group: strategy, method: method, dataset: dataset,
                                                     partition: partition, metric: metric)) ?? .nan
                    }
                    differences.append((value("F-CL") - value("F-2stage")) / value("F-2stage"))
                }
            }
        }
        let meanDifference = differences.reduce(0, +) / Double(differences.count)
        #expect(meanDifference < 0 && meanDifference > -0.02)
    }

    @Test("verdicts and requirements encode and decode")
    func verdictCoding() throws {
        let verdicts = Takeaway.judgeAll(lookup: PaperReference.value)
            + [Takeaway.multitaskNearCentral.judge(lookup: { _ in nil })]
        let decoded = try JSONDecoder().decode([TakeawayVerdict].self, from: JSONEncoder().encode(verdicts))
        #expect(decoded == verdicts)
        #expect(TakeawayRequirement.atLeast(-0.05).description == ">= -5.00%")
        #expect(TakeawayRequirement.greaterThan(0).isSatisfied(by: .nan) == false)
        #expect(TakeawayOutcome.doesNotHold.rawValue == "does not hold")
    }
}

// Checks shared by every built-in aggregator, public so a researcher's own aggregator can
// reject the same bad inputs with the same messages.

import Tensors

/// Input checks for one aggregation call.
public enum RoundValidation {
    /// Throws unless the round can be aggregated: the global set is not empty; there is at
    /// least one update; client ids are distinct; every sample count is at least 1; every
    /// update has exactly the global names and shapes and only finite values.
    ///
    /// - Parameter algorithm: the aggregator's name, used as the prefix of every message.
    public static func validate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                                context: RoundContext, algorithm: String) throws {
        let prefix = "\(algorithm), round \(context.round)"
        guard !global.isEmpty else {
            throw AggregatorError(.incompatibleUpdate, "\(prefix): the global parameter set is empty")
        }
        guard !updates.isEmpty else {
            let failed = failures.prefix(5).map { "client \($0.clientID): \($0.reason)" }
            let detail = failures.isEmpty ? "" : "; \(failures.count) client(s) failed: \(failed.joined(separator: "; "))"
            throw AggregatorError(.noUpdates, "\(prefix): no client updates to aggregate\(detail)")
        }
        var seen = Set<Int>()
        for update in updates {
            let source = "\(prefix): update from client \(update.clientID)"
            guard seen.insert(update.clientID).inserted else {
                throw AggregatorError(.invalidUpdate, "\(prefix): client \(update.clientID) sent more than one update")
            }
            guard update.sampleCount >= 1 else {
                throw AggregatorError(.invalidUpdate,
                                      "\(source): sampleCount is \(update.sampleCount); it must be at least 1")
            }
            try requireSameLayout(update.parameters, as: global, source: source)
            for (name, tensor) in update.parameters.entries where !allFinite(tensor) {
                throw AggregatorError(.invalidUpdate, "\(source): parameter \(name) has non-finite values")
            }
        }
    }

    /// Throws unless `candidate` has exactly the names of `reference` (in any order) with the
    /// same shapes; `source` starts the message ("fedavg, round 2: update from client 3").
    public static func requireSameLayout(_ candidate: ParameterSet, as reference: ParameterSet,
                                         source: String) throws {
        let expected = Set(reference.names), actual = Set(candidate.names)
        if expected != actual {
            let missing = expected.subtracting(actual).sorted().prefix(5)
            let unexpected = actual.subtracting(expected).sorted().prefix(5)
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.joined(separator: ", "))") }
            throw AggregatorError(.incompatibleUpdate,
                                  "\(source): parameter names differ from the global set (\(parts.joined(separator: "; ")))")
        }
        for name in reference.names {
            let want = reference[name]!.shape, got = candidate[name]!.shape
            if want != got {
                throw AggregatorError(.incompatibleUpdate,
                                      "\(source): parameter \(name) has shape \(got), the global set has \(want)")
            }
        }
    }

    /// True when no element is NaN or infinite: checks the exponent bits with an integer OR
    /// reduction, which vectorises (several times faster than testing `isFinite` per value).
    public static func allFinite(_ tensor: Tensor) -> Bool {
        tensor.withUnsafeBufferPointer { values in
            values.withMemoryRebound(to: UInt32.self) { words in
                var nonFinite: UInt32 = 0
                for word in words { nonFinite |= (word & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
                return nonFinite == 0
            }
        }
    }

    /// Throws unless every update reports at least one local step (FedNova's tau_k).
    public static func requireLocalSteps(_ updates: [ClientUpdate], algorithm: String, context: RoundContext) throws {
        for update in updates where update.localSteps < 1 {
            throw AggregatorError(.invalidUpdate,
                                  "\(algorithm), round \(context.round): update from client \(update.clientID) "
                                  + "reports localSteps \(update.localSteps); this algorithm needs the number of "
                                  + "local optimiser steps (at least 1)")
        }
    }
}

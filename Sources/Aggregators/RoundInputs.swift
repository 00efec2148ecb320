// What an aggregator sees in one federated round: the clients' updates, the failures and
// the round's position in the run. All parameters travel as named sets (`ParameterSet`),
// so nothing here knows about models.

import Tensors

/// One client's contribution to a round.
public struct ClientUpdate: Sendable {
    /// The client's index in the federation (stable across rounds).
    public var clientID: Int
    /// The client's trained values, x_k: the same names and shapes as the global set.
    public var parameters: ParameterSet
    /// Number of training samples the client used (n_k, the FedAvg weight); at least 1.
    public var sampleCount: Int
    /// Number of local optimiser steps taken this round (tau_k; FedNova normalises by it).
    /// 0 means "not reported"; algorithms that need it reject 0.
    public var localSteps: Int
    /// Training metrics the client reports (loss, accuracy, ...).
    public var metrics: [String: Double]
    /// Additional named sets an algorithm's client side sends up, e.g. SCAFFOLD's
    /// control-variate delta under `Scaffold.controlVariateDeltaKey`.
    public var extras: [String: ParameterSet]

    public init(clientID: Int, parameters: ParameterSet, sampleCount: Int, localSteps: Int = 0,
                metrics: [String: Double] = [:], extras: [String: ParameterSet] = [:]) {
        self.clientID = clientID
        self.parameters = parameters
        self.sampleCount = sampleCount
        self.localSteps = localSteps
        self.metrics = metrics
        self.extras = extras
    }
}

/// A client that was asked to train but did not return a usable update (crashed, timed
/// out, returned non-finite values). The runtime drops it from the round and reports it.
public struct ClientFailure: Sendable, Equatable {
    public var clientID: Int
    /// Human-readable cause, e.g. "loss became NaN at step 12".
    public var reason: String

    public init(clientID: Int, reason: String) {
        self.clientID = clientID
        self.reason = reason
    }
}

/// Where a round sits in the run.
public struct RoundContext: Sendable, Equatable {
    /// The round being aggregated, counting from 1.
    public var round: Int
    /// Rounds in the whole run.
    public var totalRounds: Int
    /// Clients in the federation (not only this round's participants). SCAFFOLD scales its
    /// control-variate update by it; nil means "every client takes part", the reference
    /// implementation's setting, and the participants are counted instead.
    public var totalClients: Int?

    public init(round: Int, totalRounds: Int, totalClients: Int? = nil) {
        precondition(round >= 1, "RoundContext: round \(round) must count from 1")
        precondition(totalRounds >= round, "RoundContext: round \(round) exceeds totalRounds \(totalRounds)")
        precondition(totalClients.map { $0 >= 1 } ?? true, "RoundContext: totalClients must be at least 1")
        self.round = round
        self.totalRounds = totalRounds
        self.totalClients = totalClients
    }
}

/// How a rule weights the clients of a round.
public enum UpdateWeighting: String, Sendable, Codable, CaseIterable {
    /// w_k = n_k / sum_j n_j (FedAvg; McMahan et al., 2017).
    case sampleCount
    /// w_k = 1 / K for K participating clients.
    case uniform

    /// The normalised weights of `updates` (they sum to 1).
    public func weights(of updates: [ClientUpdate]) -> [Double] {
        switch self {
        case .uniform:
            return [Double](repeating: 1 / Double(updates.count), count: updates.count)
        case .sampleCount:
            let total = updates.reduce(0.0) { $0 + Double($1.sampleCount) }
            return updates.map { Double($0.sampleCount) / total }
        }
    }
}

/// The sample-weighted mean of every metric over the updates that report it (as Flower's
/// default `aggregate_metricrecords`), for round logs.
public func aggregateMetrics(_ updates: [ClientUpdate]) -> [String: Double] {
    var totals: [String: (weighted: Double, samples: Double)] = [:]
    for update in updates {
        for (key, value) in update.metrics {
            let weight = Double(update.sampleCount)
            totals[key, default: (0, 0)].weighted += weight * value
            totals[key, default: (0, 0)].samples += weight
        }
    }
    return totals.mapValues { $0.weighted / $0.samples }
}

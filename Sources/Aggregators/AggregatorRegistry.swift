// Aggregators by name, for configuration files and the command line:
//   AggregatorRegistry.make(name: "fedadam", convention: .flower, options: ["eta": 0.05])
// Unknown names and unknown option keys are errors that list what is valid. Researchers
// add their own entries to a copy of `standard`.

import Tensors

extension ServerOptimizerSettings {
    /// These settings with the registry options present in `options` replacing their fields
    /// ("eta", "beta1" or "momentum", "beta2", "tau"); the registry has already rejected keys
    /// the algorithm does not take.
    func applying(_ options: AggregatorRegistry.Options) -> ServerOptimizerSettings {
        var settings = self
        settings.learningRate = options.double("eta", default: learningRate)
        settings.beta1 = options.values["momentum"] ?? options.double("beta1", default: beta1)
        settings.beta2 = options.double("beta2", default: beta2)
        settings.tau = options.double("tau", default: tau)
        return settings
    }
}

/// A table from names to aggregator factories with their option keys.
public struct AggregatorRegistry: Sendable {
    /// One registered algorithm.
    public struct Entry: Sendable {
        /// Accepted option keys with a one-line meaning each (shown in errors and help).
        public var options: [String: String]
        /// Builds the aggregator from the convention and the (already key-checked) options.
        public var make: @Sendable (Convention, Options) throws -> any Aggregator

        public init(options: [String: String], make: @escaping @Sendable (Convention, Options) throws -> any Aggregator) {
            self.options = options
            self.make = make
        }
    }

    /// Option values with typed access; absent keys fall back to the given default.
    public struct Options: Sendable {
        public let algorithm: String
        public let values: [String: Double]

        /// The value of `key`, or `fallback` when absent.
        public func double(_ key: String, default fallback: Double) -> Double { values[key] ?? fallback }

        /// The value of `key` as a whole number, or `fallback`; throws when it is not integral.
        public func integer(_ key: String, default fallback: Int) throws -> Int {
            guard let value = values[key] else { return fallback }
            guard value.rounded() == value, abs(value) < 1e15 else {
                throw AggregatorError(.invalidOption, "\(algorithm): option \(key) must be a whole number, got \(value)")
            }
            return Int(value)
        }

        /// The value of `key` as a flag (0 or 1), or `fallback`.
        public func flag(_ key: String, default fallback: Bool) throws -> Bool {
            guard let value = values[key] else { return fallback }
            guard value == 0 || value == 1 else {
                throw AggregatorError(.invalidOption, "\(algorithm): option \(key) must be 0 or 1, got \(value)")
            }
            return value == 1
        }
    }

    /// Registered algorithms by lower-case name.
    public private(set) var entries: [String: Entry]

    public init(entries: [String: Entry] = [:]) {
        self.entries = [:]
        for (name, entry) in entries { self.entries[name.lowercased()] = entry }
    }

    /// Adds or replaces `name` (matched case-insensitively).
    public mutating func register(_ name: String, _ entry: Entry) {
        entries[name.lowercased()] = entry
    }

    /// Registered names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Builds `name` with `options`; throws listing the valid names for an unknown name and the
    /// valid keys for an unknown option.
    public func make(name: String, convention: Convention = .reference,
                     options: [String: Double] = [:]) throws -> any Aggregator {
        let key = name.lowercased()
        guard let entry = entries[key] else {
            throw AggregatorError(.unknownAggregator,
                                  "unknown aggregator \"\(name)\"; valid names: \(names.joined(separator: ", "))")
        }
        for option in options.keys.sorted() where entry.options[option] == nil {
            let valid = entry.options.keys.sorted()
            throw AggregatorError(.invalidOption,
                                  "\(key): unknown option \"\(option)\"; valid options: "
                                  + (valid.isEmpty ? "none" : valid.joined(separator: ", ")))
        }
        for (option, value) in options where !value.isFinite {
            throw AggregatorError(.invalidOption, "\(key): option \(option) must be finite, got \(value)")
        }
        return try entry.make(convention, Options(algorithm: key, values: options))
    }

    /// `standard.make(name:convention:options:)`.
    public static func make(name: String, convention: Convention = .reference,
                            options: [String: Double] = [:]) throws -> any Aggregator {
        try standard.make(name: name, convention: convention, options: options)
    }

    /// The built-in algorithms.
    public static let standard: AggregatorRegistry = {
        let eta = "server learning rate", beta1 = "first-moment (momentum) coefficient"
        let beta2 = "second-moment coefficient", tau = "adaptivity added to sqrt(v)"

        return AggregatorRegistry(entries: [
            "fedavg": Entry(options: [:]) { _, _ in FedAvg() },
            "fedprox": Entry(options: ["mu": "proximal coefficient (reference 0.01, Flower 0)"]) { convention, options in
                try FedProx(mu: options.double("mu", default: FedProx.defaultMu(convention)))
            },
            "fedavgm": Entry(options: ["eta": eta, "momentum": "server momentum (reference 0.9, Flower 0)"]) {
                convention, options in
                try FedAvgM(convention: convention,
                            settings: .fedAvgM(convention).applying(options))
            },
            "fedadam": Entry(options: ["eta": eta, "beta1": beta1, "beta2": beta2, "tau": tau]) { convention, options in
                try FedAdam(convention: convention,
                            settings: .fedAdam(convention).applying(options))
            },
            "fedyogi": Entry(options: ["eta": eta, "beta1": beta1, "beta2": beta2, "tau": tau]) { convention, options in
                try FedYogi(convention: convention,
                            settings: .fedYogi(convention).applying(options))
            },
            "fedadagrad": Entry(options: ["eta": eta, "tau": tau]) { convention, options in
                try FedAdagrad(convention: convention,
                               settings: .fedAdagrad(convention).applying(options))
            },
            "scaffold": Entry(options: ["eta": "global step size eta_g (default 1)",
                                        "sampleWeighted": "1: weight updates by sample count (default), 0: uniform"]) {
                _, options in
                try Scaffold(serverLearningRate: options.double("eta", default: 1),
                             weighting: try options.flag("sampleWeighted", default: true) ? .sampleCount : .uniform)
            },
            "fednova": Entry(options: ["eta": "global step size eta_g (default 1)",
                                       "localMomentum": "momentum of the clients' local SGD (default 0)"]) { _, options in
                try FedNova(serverLearningRate: options.double("eta", default: 1),
                            localMomentum: options.double("localMomentum", default: 0))
            },
            "fedmedian": Entry(options: [:]) { _, _ in FedMedian() },
            "trimmedmean": Entry(options: ["beta": "fraction cut from each end (default 0.2)"]) { _, options in
                try TrimmedMean(beta: options.double("beta", default: 0.2))
            },
            "krum": Entry(options: ["byzantine": "tolerated Byzantine clients f (default 0)",
                                    "selected": "updates averaged, m (default 1 = Krum; > 1 = Multi-Krum)"]) {
                _, options in
                try Krum(byzantineCount: try options.integer("byzantine", default: 0),
                         selectionCount: try options.integer("selected", default: 1))
            },
        ])
    }()
}

// LoRA: low-rank adapters on Linear layers (Hu et al., 2022, "LoRA: Low-Rank Adaptation of
// Large Language Models"). A frozen weight W [out, in] gains ΔW = (α / r) · B A with
// A [r, in] (Kaiming-uniform) and B [out, r] (zeros), so the adapted layer equals the base
// layer at initialisation. Only A and B train and travel in federated rounds.
// Parameter names follow PEFT without its adapter-name level: `q_proj.lora_A`, `q_proj.lora_B`.

import Autograd
import NN
import Tensors

/// Hyperparameters of LoRA and which layers receive it.
public struct LoRAConfiguration: Codable, Sendable, Equatable {
    /// r, the rank of the update.
    public var rank: Int
    /// α; the update is scaled by α / r.
    public var alpha: Float
    /// Dropout on the adapter's input (training only).
    public var dropout: Float
    /// Which Linear layers get an adapter, matched against their dotted module paths.
    /// A plain pattern such as `q_proj` matches a path equal to it or ending in `.q_proj`;
    /// a pattern starting with `re:` is a regular expression that must match the whole path.
    /// Empty means every Linear layer not excluded.
    public var targetModules: [String]
    /// Paths excluded even when targeted (same pattern syntax); the reference excludes the output head.
    public var excludedModules: [String]

    /// The reference setting: rank 8, α 32, dropout 0.05, every Linear except `lm_head`.
    public init(rank: Int = 8, alpha: Float = 32, dropout: Float = 0.05,
                targetModules: [String] = [], excludedModules: [String] = ["lm_head"]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.excludedModules = excludedModules
    }

    /// α / r.
    public var scale: Float { alpha / Float(rank) }
}

/// The adapter attached to one `Linear`.
public final class LoRAAdapter: LinearAdapter {
    /// A [r, in].
    public let loraA: Variable
    /// B [out, r].
    public let loraB: Variable
    public let scale: Float
    fileprivate let _dropout: Dropout
    /// True while ΔW is folded into the base weight (then `delta` adds nothing).
    public internal(set) var isMerged = false

    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, dropout: Float, seed: UInt64) {
        precondition(rank > 0, "LoRAAdapter: rank \(rank) must be positive")
        var generator = RandomGenerator(seed: seed)
        loraA = Variable(.kaimingUniform([rank, inFeatures], fanIn: inFeatures, using: &generator), requiresGrad: true)
        loraB = Variable(.zeros([outFeatures, rank]), requiresGrad: true)
        scale = alpha / Float(rank)
        _dropout = Dropout(rate: dropout, seed: RandomGenerator.derivedSeed(seed, 1))
    }

    public override func key(forProperty name: String) -> String {
        switch name {
        case "loraA": return "lora_A"
        case "loraB": return "lora_B"
        default: return Module.snakeCase(name)
        }
    }

    /// (α / r) · dropout(x) Aᵀ Bᵀ.
    public override func delta(_ x: Variable) -> Variable {
        if isMerged { return Variable(.zeros(Array(x.shape.dropLast()) + [loraB.shape[0]])) }
        let input = isTraining ? _dropout(x) : x
        return Variable.linear(Variable.linear(input, weight: loraA, bias: nil), weight: loraB, bias: nil) * scale
    }

    /// W x + b + (α / r) · B A dropout(x), fused into the base layer's products
    /// (`Variable.lowRankAdaptedLinear`).
    public override func output(_ x: Variable, base layer: Linear) -> Variable {
        if isMerged { return Variable.linear(x, weight: layer.weight, bias: layer.bias) }
        return Variable.lowRankAdaptedLinear(x, weight: layer.weight, bias: layer.bias, down: loraA, up: loraB, scale: scale,
                                             inputMask: isTraining ? _dropout.nextMask(shape: x.shape) : nil)
    }


    /// ΔW = scale · B A [out, in].
    public var deltaWeight: Tensor { Tensor.matmul(loraB.value, loraA.value) * scale }
}

extension LoRAAdapter: SeededRandomness {
    /// Restarts the adapter's dropout mask stream.
    public func reseed(_ seed: UInt64) { _dropout.reseed(seed) }
}

/// Errors applying, merging or loading adapters.
public struct LoRAError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Applying LoRA to a module tree and managing the adapters.
public enum LoRA {
    /// Whether `path` matches `pattern` (see `LoRAConfiguration.targetModules`).
    public static func matches(_ path: String, pattern: String) throws -> Bool {
        if pattern.hasPrefix("re:") {
            let source = String(pattern.dropFirst(3))
            guard let regex = try? Regex(source) else {
                throw LoRAError(description: "LoRA: invalid regular expression '\(source)' in target-module pattern '\(pattern)'")
            }
            return (try? regex.wholeMatch(in: path)) != nil
        }
        return path == pattern || path.hasSuffix("." + pattern)
    }

    /// Attaches an adapter to every targeted `Linear` under `root`, freezes every other
    /// parameter, and returns the adapted layer paths. `seed` makes adapter init reproducible
    /// (each layer draws from a stream derived from the seed and its position).
    /// - Throws: when a target pattern matches no Linear layer (naming it and listing some
    ///   available paths) or when nothing is adapted.
    @discardableResult
    public static func apply(to root: Module, configuration: LoRAConfiguration, under prefix: String = "",
                             seed: UInt64) throws -> [String] {
        let linears = root.namedModules().compactMap { path, module -> (String, Linear)? in
            guard let linear = module as? Linear, prefix.isEmpty || path == prefix || path.hasPrefix(prefix + ".") else { return nil }
            return (path, linear)
        }
        for pattern in configuration.targetModules {
            let hit = try linears.contains { try matches($0.0, pattern: pattern) }
            if !hit {
                let examples = linears.prefix(6).map(\.0)
                throw LoRAError(description: "LoRA: target-module pattern '\(pattern)' matches no Linear layer under '\(prefix)'; layers look like \(examples)")
            }
        }
        root.freeze()
        var adapted: [String] = []
        for (index, (path, linear)) in linears.enumerated() {
            let targeted = try configuration.targetModules.isEmpty || configuration.targetModules.contains { try matches(path, pattern: $0) }
            let excluded = try configuration.excludedModules.contains { try matches(path, pattern: $0) }
            guard targeted && !excluded else { continue }
            linear.adapter = LoRAAdapter(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures,
                                         rank: configuration.rank, alpha: configuration.alpha,
                                         dropout: configuration.dropout,
                                         seed: RandomGenerator.derivedSeed(seed, UInt64(index)))
            adapted.append(path)
        }
        if adapted.isEmpty { throw LoRAError(description: "LoRA: no Linear layer under '\(prefix)' was adapted (all excluded?)") }
        return adapted
    }

    /// Every adapter under `root` with its layer path.
    public static func adapters(in root: Module) -> [(String, LoRAAdapter)] {
        root.namedModules().compactMap { path, module in
            (module as? Linear)?.adapter.flatMap { $0 as? LoRAAdapter }.map { (path, $0) }
        }
    }

    /// True for the parameter names LoRA adds.
    public static func isAdapterParameter(_ name: String) -> Bool { name.hasSuffix(".lora_A") || name.hasSuffix(".lora_B") }

    /// Adapter weights alone (what a client sends in LoRA fine-tuning).
    public static func adapterParameters(of root: Module) -> ParameterSet { root.parameterSet(where: isAdapterParameter) }

    /// Loads adapter weights; every name must be an adapter parameter of `root`.
    public static func loadAdapterParameters(_ set: ParameterSet, into root: Module) throws {
        if let stray = set.names.first(where: { !isAdapterParameter($0) }) {
            throw LoRAError(description: "LoRA: \(stray) is not an adapter parameter (expected names ending in .lora_A or .lora_B)")
        }
        try root.load(set)
    }

    /// Folds every adapter into its base weight (W += ΔW) so inference costs nothing extra.
    /// - Throws: when a merged weight would not be finite (the layer is left unchanged).
    public static func merge(_ root: Module) throws {
        for (path, linear) in root.namedModules().compactMap({ p, m in (m as? Linear).map { (p, $0) } }) {
            guard let adapter = linear.adapter as? LoRAAdapter, !adapter.isMerged else { continue }
            let merged = linear.weight.value + adapter.deltaWeight
            guard merged.isFinite else { throw LoRAError(description: "LoRA: merging \(path) gives non-finite weights") }
            linear.weight.value = merged
            adapter.isMerged = true
        }
    }

    /// Undoes `merge` (W −= ΔW).
    public static func unmerge(_ root: Module) {
        for linear in root.namedModules().compactMap({ $0.1 as? Linear }) {
            guard let adapter = linear.adapter as? LoRAAdapter, adapter.isMerged else { continue }
            linear.weight.value = linear.weight.value - adapter.deltaWeight
            adapter.isMerged = false
        }
    }
}

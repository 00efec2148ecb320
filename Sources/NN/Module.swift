// Modules: layers with named parameters, found by reflection so a layer is just a class
// with stored properties. A property `selfAttn` holding a module becomes the checkpoint
// prefix `self_attn`; an array `layers` of modules becomes `layers.0`, `layers.1`, ...
// A parameter is a `Variable` leaf; `requiresGrad` says whether it trains.

import Autograd
import Tensors

/// Errors loading parameters into a module.
public struct ModuleError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Base class of every layer and model.
open class Module {
    /// Training mode (dropout active) or evaluation mode.
    public private(set) var isTraining = true

    public init() {}

    /// Checkpoint key of a stored property; override to rename (e.g. `loraA` -> `lora_A`).
    open func key(forProperty name: String) -> String { Module.snakeCase(name) }

    /// Direct child modules and parameters, in declaration order, found by reflection.
    /// Properties of type `Variable`, `Variable?`, `Module`, `Module?` and `[Module]` take part;
    /// properties whose name starts with `_` or that are listed in `excludedProperties` do not.
    public final func namedMembers() -> (parameters: [(String, Variable)], children: [(String, Module)]) {
        var parameters: [(String, Variable)] = []
        var children: [(String, Module)] = []
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror { mirrors.insert(current, at: 0); mirror = current.superclassMirror }
        let excluded = excludedProperties
        for current in mirrors {
            for child in current.children {
                guard let label = child.label, !label.hasPrefix("_"), !excluded.contains(label) else { continue }
                let name = key(forProperty: label)
                switch unwrapOptional(child.value) {
                case let variable as Variable: parameters.append((name, variable))
                case let module as Module: children.append((name, module))
                case let list as [Module]:
                    for (index, module) in list.enumerated() { children.append(("\(name).\(index)", module)) }
                default: break
                }
            }
        }
        return (parameters, children)
    }

    /// Property names that hold modules or variables but are not part of this module's tree
    /// (e.g. a shared reference owned elsewhere).
    open var excludedProperties: Set<String> { [] }

    /// Every parameter under this module with its dotted name, in a stable order.
    public final func namedParameters() -> [(String, Variable)] {
        var result: [(String, Variable)] = []
        collect(prefix: "", into: &result)
        return result
    }

    private func collect(prefix: String, into result: inout [(String, Variable)]) {
        let (parameters, children) = namedMembers()
        for (name, variable) in parameters { result.append((prefix + name, variable)) }
        // An empty key inlines the child's members into this module's namespace (used by
        // adapters, whose `lora_A` sits beside the wrapped layer's `weight`).
        for (name, child) in children { child.collect(prefix: name.isEmpty ? prefix : prefix + name + ".", into: &result) }
    }

    /// Every module under this one (itself first) with its dotted path ("" for itself).
    public final func namedModules() -> [(String, Module)] {
        var result: [(String, Module)] = [("", self)]
        for (name, child) in namedMembers().children {
            for (path, module) in child.namedModules() {
                result.append(([name, path].filter { !$0.isEmpty }.joined(separator: "."), module))
            }
        }
        return result
    }

    /// Parameters that currently train.
    public final func trainableParameters() -> [(String, Variable)] { namedParameters().filter { $0.1.requiresGrad } }

    /// Number of scalars in all parameters (or only trainable ones).
    public final func parameterCount(trainableOnly: Bool = false) -> Int {
        (trainableOnly ? trainableParameters() : namedParameters()).reduce(0) { $0 + $1.1.value.scalarCount }
    }

    /// A snapshot of parameter values (all, or those whose names pass `include`).
    public final func parameterSet(where include: (String) -> Bool = { _ in true }) -> ParameterSet {
        ParameterSet(namedParameters().filter { include($0.0) }.map { ($0.0, $0.1.value) })
    }

    /// Copies values from `set` into the parameters of the same names.
    /// - Parameter strict: when true, every parameter of the module must be present in `set`.
    /// - Throws: a `ModuleError` naming an unknown name, a shape mismatch, or (strict) a missing name.
    public final func load(_ set: ParameterSet, strict: Bool = false) throws {
        let parameters = Dictionary(uniqueKeysWithValues: namedParameters())
        for (name, tensor) in set.entries {
            guard let parameter = parameters[name] else {
                let close = parameters.keys.sorted().filter { $0.hasSuffix(name.split(separator: ".").last.map(String.init) ?? "") }.prefix(3)
                throw ModuleError("load: no parameter named \(name) in \(type(of: self))\(close.isEmpty ? "" : "; similar: \(Array(close))")")
            }
            guard parameter.value.shape == tensor.shape else {
                throw ModuleError("load: parameter \(name) has shape \(parameter.value.shape), got \(tensor.shape)")
            }
        }
        if strict {
            let missing = parameters.keys.filter { set[$0] == nil }.sorted()
            if !missing.isEmpty { throw ModuleError("load: missing parameters \(missing.prefix(5))\(missing.count > 5 ? " (\(missing.count) in all)" : "")") }
        }
        for (name, tensor) in set.entries { parameters[name]!.value = tensor }
    }

    /// Stops gradients for every parameter (or those whose names pass `include`).
    public final func freeze(where include: (String) -> Bool = { _ in true }) {
        for (name, parameter) in namedParameters() where include(name) { parameter.requiresGrad = false }
    }

    /// Lets gradients reach every parameter (or those whose names pass `include`).
    public final func unfreeze(where include: (String) -> Bool = { _ in true }) {
        for (name, parameter) in namedParameters() where include(name) { parameter.requiresGrad = true }
    }

    /// Clears every accumulated gradient.
    public final func zeroGradients() { for (_, parameter) in namedParameters() { parameter.grad = nil } }

    /// Switches this module and all below it to training (`true`) or evaluation mode.
    public final func train(_ training: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = training }
    }

    /// Evaluation mode (dropout off).
    public final func eval() { train(false) }

    /// `camelCase` -> `camel_case` (checkpoint naming).
    public static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                if !result.isEmpty { result.append("_") }
                result.append(contentsOf: character.lowercased())
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// Looks through `Optional` so reflected `Variable?` and `Module?` properties are found.
private func unwrapOptional(_ value: Any) -> Any? {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    return mirror.children.first?.value
}

/// A module that draws random numbers during the forward pass (dropout) and can restart its stream.
public protocol SeededRandomness: AnyObject {
    /// Restarts the module's random stream from `seed`.
    func reseed(_ seed: UInt64)
}

extension Dropout: SeededRandomness {}

extension Module {
    /// Restarts every random stream under this module from streams derived from `seed` and the
    /// module's position in the tree, so a client's local training is reproducible from its seed.
    public func reseedRandomness(_ seed: UInt64) {
        for (index, (_, module)) in namedModules().enumerated() {
            (module as? SeededRandomness)?.reseed(RandomGenerator.derivedSeed(seed, UInt64(index)))
        }
    }
}

// Attaching LoRA to a model's language part, shared by both architectures.

import LoRAAdapters
import NN

/// `LoRAConfiguration` as a Codable member of model configs.
public struct LoRAConfigurationBox: Codable, Sendable, Equatable {
    public var configuration: LoRAConfiguration
    public init(_ configuration: LoRAConfiguration = LoRAConfiguration()) { self.configuration = configuration }
}

/// Attaches adapters to `languageModel` per `configuration` (default: every Linear but `lm_head`).
func attachLoRA(to languageModel: Module, configuration: LoRAConfiguration, seed: UInt64) throws {
    try LoRA.apply(to: languageModel, configuration: configuration, seed: seed)
}

/// True for LoRA adapter parameter names.
func isLoRAParameter(_ name: String) -> Bool { LoRA.isAdapterParameter(name) }

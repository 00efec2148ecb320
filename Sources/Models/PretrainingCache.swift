// The cache of pretrained parts: a directory per (size, seed, budget) holding
//   tokenizer.json                  the word-level tokenizer (corpus + federated vocabulary)
//   vision_encoder.safetensors      stage 1
//   language_model.safetensors      stage 2
//   connector_<spec>.safetensors    stage 3, one file per connector spec
//   image_tokenizer.safetensors     stage 4
//   unified_decoder.safetensors     stage 5
//   manifest.json                   configs, seed, budget, schedule, losses, wall times, and for
//                                   every file its size, FNV-1a-64 checksum and the checksums of
//                                   the files it was trained from
// `ensure` loads what is present and valid and trains what is missing or invalid. A file is
// valid when its size and checksum match the manifest, it parses as safetensors and loads
// strictly into a fresh module of the expected config, and the files it was trained from still
// have the checksums recorded when it was built. Anything else (truncated, corrupted, stale,
// built for another config, seed, budget or data source) is rebuilt after a warning; nothing
// invalid is ever used silently. Files are written atomically and the manifest last, so an
// interrupted build leaves a cache that the next `ensure` completes. Two processes building the
// same directory at once are not coordinated (each writes complete files; the last manifest wins).

import Datasets
import Foundation
import LoRAAdapters
import NN
import Tensors

/// A pretrained part the cache can hold.
public enum PretrainedComponent: Sendable, Equatable, Hashable, CustomStringConvertible {
    case visionEncoder
    case languageModel
    case connector(ConnectorSpec)
    case imageTokenizer
    case unifiedDecoder

    /// "vision_encoder", "connector_mlp2x_gelu", ...: the stem of the file and the progress name.
    public var description: String {
        switch self {
        case .visionEncoder: return PretrainingStage.visionEncoder.rawValue
        case .languageModel: return PretrainingStage.languageModel.rawValue
        case .connector(let spec): return "\(PretrainingStage.connector.rawValue)_\(spec)"
        case .imageTokenizer: return PretrainingStage.imageTokenizer.rawValue
        case .unifiedDecoder: return PretrainingStage.unifiedDecoder.rawValue
        }
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// The safetensors file of the component.
    public var fileName: String { "\(description).safetensors" }

    /// The components this one is trained from.
    public var dependencies: [PretrainedComponent] {
        switch self {
        case .visionEncoder, .languageModel, .imageTokenizer: return []
        case .connector: return [.visionEncoder, .languageModel]
        case .unifiedDecoder: return [.languageModel, .imageTokenizer]
        }
    }

    /// The stage that trains the component.
    public var stage: PretrainingStage {
        switch self {
        case .visionEncoder: return .visionEncoder
        case .languageModel: return .languageModel
        case .connector: return .connector
        case .imageTokenizer: return .imageTokenizer
        case .unifiedDecoder: return .unifiedDecoder
        }
    }

    /// What an encoder-based model with `connector` needs.
    public static func encoderBased(connector: ConnectorSpec) -> [PretrainedComponent] {
        [.visionEncoder, .languageModel, .connector(connector)]
    }

    /// What an encoder-free model needs.
    public static let encoderFree: [PretrainedComponent] = [.languageModel, .imageTokenizer, .unifiedDecoder]
}

/// Size and checksum of a cache file.
public struct CacheFileRecord: Codable, Sendable, Equatable {
    public var file: String
    public var bytes: Int
    /// FNV-1a 64 of the file's bytes, 16 hex digits.
    public var checksum: String
}

/// How one component was built.
public struct CacheComponentRecord: Codable, Sendable, Equatable {
    /// `PretrainedComponent.description`.
    public var component: String
    public var file: CacheFileRecord
    public var steps: Int
    /// Mean loss of the first and last ten steps.
    public var initialLoss: Float
    public var finalLoss: Float
    public var seconds: Double
    /// Checksums of the files the component was trained from, by file name.
    public var trainedFrom: [String: String]
}

/// The corpus a cache was built from.
public struct CorpusSummary: Codable, Sendable, Equatable {
    /// The seed the corpus samples were generated with (experiment seed XOR `PretrainingCorpus.seedMask`).
    public var corpusSeed: UInt64
    public var samples: Int
    public var captionSamples: Int
    public var texts: Int
    /// Corpus samples dropped because their images are federated images.
    public var removedOverlaps: Int
    /// Federated samples the corpus was checked against.
    public var federatedSamples: Int
}

/// `manifest.json` of a cache directory.
public struct PretrainingManifest: Codable, Sendable, Equatable {
    /// Bumped when the layout or a stage's meaning changes; older caches are rebuilt.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var size: ModelSize
    public var seed: UInt64
    public var budget: PretrainingBudget
    public var dataSource: String
    public var schedule: PretrainingSchedule
    public var vision: VisionEncoderConfig
    public var imageTokenizer: VQTokenizerConfig
    public var language: LanguageModelConfig
    public var corpus: CorpusSummary
    public var tokenizer: CacheFileRecord
    /// Seconds spent generating the data, building the corpus and the tokenizer.
    public var dataSeconds: Double
    /// Sorted by component name.
    public var components: [CacheComponentRecord]

    /// The record of `component`, if built.
    public func record(of component: PretrainedComponent) -> CacheComponentRecord? {
        components.first { $0.component == component.description }
    }

    /// Seconds of all stages and the data preparation.
    public var totalSeconds: Double { dataSeconds + components.reduce(0) { $0 + $1.seconds } }
}

/// Pretrained weights and the tokenizer, loaded from (or just written to) a cache.
/// The frozen-module caches that models built from one `PretrainedParts` share.
public final class SharedFrozenOutputs: Sendable {
    /// Vision-tower patch features by sample id (encoder-based models).
    public let encoderFeatures = FrozenOutputCache<Tensor>()
    /// Image-tokenizer codes by sample id (encoder-free models).
    public let imageCodes = FrozenOutputCache<[Int]>()
    public init() {}
}

public struct PretrainedParts: Sendable {
    public let size: ModelSize
    public let tokenizer: WordTokenizer
    public let manifest: PretrainingManifest
    /// Parameter sets by component name (`PretrainedComponent.description`), without prefixes.
    public let parameters: [String: ParameterSet]
    /// Frozen-module outputs shared by every model built from these parts (see `FrozenOutputCache`).
    public let frozenOutputs = SharedFrozenOutputs()

    /// The parameters of `component`.
    /// - Throws: `PretrainingError` when the component was not requested from the cache.
    public func parameters(of component: PretrainedComponent) throws -> ParameterSet {
        guard let set = parameters[component.description] else {
            throw PretrainingError("pretrained parts hold \(parameters.keys.sorted()), not \(component); ask the cache to ensure it")
        }
        return set
    }
}

/// A directory of pretrained parts for one model size, experiment seed and budget (see the file header).
public struct PretrainedCache: Sendable {
    public let directory: URL
    public let size: ModelSize
    public let seed: UInt64
    public let budget: PretrainingBudget
    public let dataSource: PretrainingDataSource
    /// The stage settings; `budget.schedule` unless given.
    public let schedule: PretrainingSchedule

    /// The environment variable naming the base directory of all caches.
    public static let environmentVariable = "FEDVLM_CACHE"

    /// `$FEDVLM_CACHE/<size>-seed<seed>` (or `./fedvlm-cache/...` when the variable is unset);
    /// budgets other than `quick` add `-<budget>`, so a smoke build never replaces a quick one.
    public static func defaultDirectory(size: ModelSize, seed: UInt64, budget: PretrainingBudget = .quick,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "fedvlm-cache"
        let name = "\(size)-seed\(seed)" + (budget == .quick ? "" : "-\(budget)")
        return URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent(name, isDirectory: true)
    }

    public init(size: ModelSize, seed: UInt64, budget: PretrainingBudget = .quick, directory: URL? = nil,
                dataSource: PretrainingDataSource = .synthetic, schedule: PretrainingSchedule? = nil) {
        self.size = size
        self.seed = seed
        self.budget = budget
        self.directory = directory ?? Self.defaultDirectory(size: size, seed: seed, budget: budget)
        self.dataSource = dataSource
        self.schedule = schedule ?? budget.schedule
    }

    static let manifestFile = "manifest.json"
    static let tokenizerFile = "tokenizer.json"

    /// Prints a warning line to standard error (the default warning handler).
    public static let standardErrorWarning: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    // MARK: Ensure

    /// Loads `components` (and the tokenizer) from the cache, training whatever is missing or
    /// invalid first (see the file header), and returns them.
    /// - Parameters:
    ///   - progress: called after every optimisation step of every stage that runs.
    ///   - warning: called once per invalid file or manifest before it is rebuilt.
    /// - Throws: `PretrainingError` for bad settings or data; I/O errors writing the cache.
    @discardableResult
    public func ensure(_ components: [PretrainedComponent], progress: PretrainingProgress? = nil,
                       warning: (String) -> Void = PretrainedCache.standardErrorWarning) throws -> PretrainedParts {
        try schedule.validate()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var state = try BuildState(cache: self, warning: warning)
        var loaded: [String: ParameterSet] = [:]
        for component in components {
            loaded[component.description] = try state.resolve(component, progress: progress, warning: warning)
        }
        try state.writeManifestIfChanged()
        return PretrainedParts(size: size, tokenizer: state.tokenizer, manifest: state.manifest, parameters: loaded)
    }

    /// Deletes the cache's files (only those this cache writes) and builds `components` afresh.
    @discardableResult
    public func rebuild(_ components: [PretrainedComponent], progress: PretrainingProgress? = nil,
                        warning: (String) -> Void = PretrainedCache.standardErrorWarning) throws -> PretrainedParts {
        try clear()
        return try ensure(components, progress: progress, warning: warning)
    }

    /// Removes the manifest, the tokenizer and every `*.safetensors` file of the directory.
    public func clear() throws {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name == Self.manifestFile || name == Self.tokenizerFile || name.hasSuffix(".safetensors") {
            try manager.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// The manifest on disk, if it exists and parses.
    public func readManifest() throws -> PretrainingManifest {
        let url = directory.appendingPathComponent(Self.manifestFile)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PretrainingError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(PretrainingManifest.self, from: data)
        } catch {
            throw PretrainingError("\(url.path): not a valid manifest: \(error)")
        }
    }

    /// Why `manifest` cannot describe this cache, or nil when it can.
    func mismatch(of manifest: PretrainingManifest) -> String? {
        if manifest.formatVersion != PretrainingManifest.currentFormatVersion {
            return "format version \(manifest.formatVersion), expected \(PretrainingManifest.currentFormatVersion)"
        }
        if manifest.size != size { return "size \(manifest.size), expected \(size)" }
        if manifest.seed != seed { return "seed \(manifest.seed), expected \(seed)" }
        if manifest.budget != budget { return "budget \(manifest.budget), expected \(budget)" }
        if manifest.dataSource != dataSource.name { return "data source \(manifest.dataSource), expected \(dataSource.name)" }
        if manifest.schedule != schedule { return "a different stage schedule" }
        if manifest.vision != size.visionEncoder { return "a different vision encoder config" }
        if manifest.imageTokenizer != size.imageTokenizer { return "a different image tokenizer config" }
        return nil
    }
}

// MARK: - Building

/// The state of one `ensure` call: the manifest being updated, the tokenizer, and the corpus
/// (generated only when some stage must train).
struct BuildState {
    let cache: PretrainedCache
    var manifest: PretrainingManifest
    var tokenizer: WordTokenizer
    private var corpus: PretrainingCorpus?
    private var changed = false
    /// Components checked (or built) in this call, with their parameters.
    private var resolved: [String: ParameterSet] = [:]

    init(cache: PretrainedCache, warning: (String) -> Void) throws {
        self.cache = cache
        let manifestURL = cache.directory.appendingPathComponent(PretrainedCache.manifestFile)
        var existing: PretrainingManifest?
        if FileManager.default.fileExists(atPath: manifestURL.path) {
            do {
                let manifest = try cache.readManifest()
                if let reason = cache.mismatch(of: manifest) {
                    warning("pretrained cache \(cache.directory.path) was built with \(reason); rebuilding it")
                } else {
                    existing = manifest
                }
            } catch {
                warning("\(error); rebuilding the pretrained cache")
            }
        }
        if let manifest = existing, let tokenizer = Self.loadTokenizer(cache: cache, record: manifest.tokenizer, warning: warning),
           manifest.language == cache.size.languageModel(textVocabularySize: tokenizer.vocabularySize) {
            self.manifest = manifest
            self.tokenizer = tokenizer
            return
        }
        // Everything depends on the tokenizer: start over.
        let start = ContinuousClock.now
        let data = try cache.dataSource.load(cache.seed, cache.budget)
        let corpus = try PretrainingCorpus(samples: data.corpusSamples, excluding: data.federatedSamples)
        try corpus.assertDisjoint(from: data.federatedSamples)
        let tokenizer = data.tokenizer(corpus: corpus)
        let tokenizerURL = cache.directory.appendingPathComponent(PretrainedCache.tokenizerFile)
        try tokenizer.save(to: tokenizerURL)
        let record = try Self.fileRecord(of: tokenizerURL)
        self.tokenizer = tokenizer
        self.corpus = corpus
        changed = true
        manifest = PretrainingManifest(
            formatVersion: PretrainingManifest.currentFormatVersion, size: cache.size, seed: cache.seed, budget: cache.budget,
            dataSource: cache.dataSource.name, schedule: cache.schedule, vision: cache.size.visionEncoder,
            imageTokenizer: cache.size.imageTokenizer,
            language: cache.size.languageModel(textVocabularySize: tokenizer.vocabularySize),
            corpus: CorpusSummary(corpusSeed: PretrainingCorpus.corpusSeed(forExperimentSeed: cache.seed),
                                  samples: corpus.samples.count, captionSamples: corpus.captionSamples.count,
                                  texts: corpus.texts.count, removedOverlaps: corpus.removedOverlaps,
                                  federatedSamples: data.federatedSamples.count),
            tokenizer: record, dataSeconds: Pretraining.seconds(since: start), components: [])
    }

    /// The tokenizer file when it matches its record and parses; nil (after a warning) otherwise.
    static func loadTokenizer(cache: PretrainedCache, record: CacheFileRecord, warning: (String) -> Void) -> WordTokenizer? {
        let url = cache.directory.appendingPathComponent(PretrainedCache.tokenizerFile)
        do {
            let data = try verifiedData(url, record: record)
            return try WordTokenizer(jsonData: data, name: url.path)
        } catch {
            warning("\(error); rebuilding the pretrained cache")
            return nil
        }
    }

    /// The parameters of `component`, loaded when valid, trained (with its dependencies) otherwise.
    mutating func resolve(_ component: PretrainedComponent, progress: PretrainingProgress?,
                          warning: (String) -> Void) throws -> ParameterSet {
        if let done = resolved[component.description] { return done }
        var dependencies: [PretrainedComponent: ParameterSet] = [:]
        for dependency in component.dependencies {
            dependencies[dependency] = try resolve(dependency, progress: progress, warning: warning)
        }
        let url = cache.directory.appendingPathComponent(component.fileName)
        if let record = manifest.record(of: component) {
            do {
                try checkCurrent(record, dependencies: component.dependencies)
                let data = try Self.verifiedData(url, record: record.file)
                let parameters = try SafeTensors.read(from: data, source: url.path).parameters
                try freshModule(component).load(parameters, strict: true)
                resolved[component.description] = parameters
                return parameters
            } catch {
                warning("\(error); retraining \(component)")
            }
        }
        let trained = try train(component, dependencies: dependencies, progress: progress)
        try SafeTensors.write(trained.parameters, metadata: ["component": component.description, "size": cache.size.rawValue,
                                                              "seed": String(cache.seed), "budget": cache.budget.rawValue],
                              to: url)
        let record = CacheComponentRecord(
            component: component.description, file: try Self.fileRecord(of: url), steps: trained.losses.count,
            initialLoss: StageResult<Module>.mean(trained.losses.prefix(10)),
            finalLoss: StageResult<Module>.mean(trained.losses.suffix(10)), seconds: trained.seconds,
            trainedFrom: Dictionary(uniqueKeysWithValues: component.dependencies.map {
                ($0.fileName, manifest.record(of: $0)?.file.checksum ?? "")
            }))
        manifest.components.removeAll { $0.component == component.description }
        manifest.components.append(record)
        manifest.components.sort { $0.component < $1.component }
        changed = true
        // Write the manifest now, so work survives an interruption of a later stage.
        try writeManifest()
        resolved[component.description] = trained.parameters
        return trained.parameters
    }

    /// Throws when a dependency's file changed since `record` was trained from it.
    func checkCurrent(_ record: CacheComponentRecord, dependencies: [PretrainedComponent]) throws {
        for dependency in dependencies {
            let current = manifest.record(of: dependency)?.file.checksum
            guard let current, record.trainedFrom[dependency.fileName] == current else {
                throw PretrainingError("\(record.file.file) was trained from a different \(dependency.fileName)")
            }
        }
    }

    /// A freshly initialised module of the component's config (for strict shape checks).
    func freshModule(_ component: PretrainedComponent) throws -> Module {
        switch component {
        case .visionEncoder: return VisionEncoder(config: manifest.vision, seed: 0)
        case .languageModel, .unifiedDecoder: return LanguageModel(config: manifest.language, seed: 0)
        case .connector(let spec):
            return try Connector(spec: spec, inputDimension: manifest.vision.dimension,
                                 outputDimension: manifest.language.dimension, seed: 0)
        case .imageTokenizer: return VQTokenizer(config: manifest.imageTokenizer, seed: 0)
        }
    }

    /// The corpus, generated on first use.
    mutating func trainingCorpus() throws -> PretrainingCorpus {
        if let corpus { return corpus }
        let data = try cache.dataSource.load(cache.seed, cache.budget)
        let built = try PretrainingCorpus(samples: data.corpusSamples, excluding: data.federatedSamples)
        try built.assertDisjoint(from: data.federatedSamples)
        corpus = built
        return built
    }

    /// Runs the component's stage.
    mutating func train(_ component: PretrainedComponent, dependencies: [PretrainedComponent: ParameterSet],
                        progress: PretrainingProgress?) throws -> (parameters: ParameterSet, losses: [Float], seconds: Double) {
        let corpus = try trainingCorpus()
        let settings = cache.schedule[component.stage]
        let seed = RandomGenerator.derivedSeed(cache.seed, stableStream(component.description))
        switch component {
        case .visionEncoder:
            let result = try Pretraining.trainVisionEncoder(config: manifest.vision, corpus: corpus, tokenizer: tokenizer,
                                                            settings: settings, seed: seed, progress: progress)
            return (result.module.parameterSet(), result.losses, result.seconds)
        case .languageModel:
            let result = try Pretraining.trainLanguageModel(config: manifest.language, corpus: corpus, tokenizer: tokenizer,
                                                            settings: settings, seed: seed, progress: progress)
            return (result.module.parameterSet(), result.losses, result.seconds)
        case .connector(let spec):
            let result = try Pretraining.alignConnector(
                spec: spec, vision: manifest.vision, visionEncoder: dependencies[.visionEncoder]!,
                language: manifest.language, languageModel: dependencies[.languageModel]!, corpus: corpus,
                tokenizer: tokenizer, settings: settings, seed: seed, progress: progress)
            return (result.module.parameterSet(), result.losses, result.seconds)
        case .imageTokenizer:
            let result = try Pretraining.trainImageTokenizer(config: manifest.imageTokenizer, corpus: corpus,
                                                             settings: settings, seed: seed, progress: progress)
            return (result.module.parameterSet(), result.losses, result.seconds)
        case .unifiedDecoder:
            let result = try Pretraining.alignUnifiedDecoder(
                imageTokenizer: manifest.imageTokenizer, imageTokenizerParameters: dependencies[.imageTokenizer]!,
                language: manifest.language, languageModel: dependencies[.languageModel]!, corpus: corpus,
                tokenizer: tokenizer, settings: settings, seed: seed, progress: progress)
            return (result.module.parameterSet(), result.losses, result.seconds)
        }
    }

    mutating func writeManifestIfChanged() throws {
        if changed { try writeManifest() }
    }

    mutating func writeManifest() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Non-finite losses (a zero-step stage) are written as strings rather than failing.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let url = cache.directory.appendingPathComponent(PretrainedCache.manifestFile)
        try encoder.encode(manifest).write(to: url, options: .atomic)
        changed = false
    }

    // MARK: Files

    /// The file's bytes when their count and checksum match `record`.
    static func verifiedData(_ url: URL, record: CacheFileRecord) throws -> Data {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PretrainingError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        guard data.count == record.bytes else {
            throw PretrainingError("\(url.path): \(data.count) bytes, the manifest records \(record.bytes) (truncated or replaced)")
        }
        let checksum = fnv1a64Hex(data)
        guard checksum == record.checksum else {
            throw PretrainingError("\(url.path): checksum \(checksum) differs from the manifest's \(record.checksum) (corrupted or replaced)")
        }
        return data
    }

    static func fileRecord(of url: URL) throws -> CacheFileRecord {
        let data = try Data(contentsOf: url)
        return CacheFileRecord(file: url.lastPathComponent, bytes: data.count, checksum: fnv1a64Hex(data))
    }
}

/// FNV-1a 64-bit hash of `data` as 16 hex digits (detects accidental corruption; not a
/// cryptographic checksum).
func fnv1a64Hex(_ data: Data) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
    }
    let digits = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// A stream number from a name (FNV-1a of its UTF-8 bytes), stable across runs and platforms,
/// unlike `Hasher`.
func stableStream(_ name: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}

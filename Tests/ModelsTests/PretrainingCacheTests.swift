// The pretrained cache: builds once, loads without training, detects damaged or stale files and
// rebuilds them with a warning, and the factories load its parts into fresh models.

import Datasets
import Foundation
import LoRAAdapters
@testable import Models
import NN
import Tensors
import Testing

@Suite struct PretrainingCacheTests {
    static let everything = PretrainedComponent.encoderBased(connector: .linear) + PretrainedComponent.encoderFree

    static func cache(_ directory: URL, seed: UInt64 = 1, schedule: PretrainingSchedule = PretrainingFixtures.twoStepSchedule) -> PretrainedCache {
        PretrainedCache(size: .tiny, seed: seed, budget: .smoke, directory: directory,
                        dataSource: PretrainingFixtures.syntheticSource(), schedule: schedule)
    }

    /// One complete cache (every component of the tiny size), built once and copied per test.
    static let template: Result<URL, any Error> = Result {
        let directory = try PretrainingFixtures.temporaryDirectory()
        try cache(directory).ensure(everything, warning: { Issue.record("unexpected warning: \($0)") })
        return directory
    }

    static func copyOfTemplate() throws -> URL {
        let source = try template.get()
        let target = try PretrainingFixtures.temporaryDirectory()
        try FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: source, to: target)
        return target
    }

    @Test func firstEnsureTrainsEverySecondLoadsWithoutTraining() throws {
        let directory = try PretrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = PretrainingLog()
        let built = try Self.cache(directory).ensure(Self.everything, progress: first.progress, warning: first.warn)
        #expect(first.stagesRun == ["vision_encoder", "language_model", "connector_linear", "image_tokenizer", "unified_decoder"])
        #expect(first.warnings.isEmpty)

        let files = try Set(FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(files == ["manifest.json", "tokenizer.json", "vision_encoder.safetensors", "language_model.safetensors",
                          "connector_linear.safetensors", "image_tokenizer.safetensors", "unified_decoder.safetensors"])
        let manifest = built.manifest
        #expect(manifest.size == .tiny && manifest.seed == 1 && manifest.budget == .smoke)
        #expect(manifest.components.map(\.component) == ["connector_linear", "image_tokenizer", "language_model",
                                                         "unified_decoder", "vision_encoder"])
        #expect(manifest.components.allSatisfy { $0.steps == 2 && $0.finalLoss.isFinite && $0.seconds > 0 })
        #expect(manifest.language == ModelSize.tiny.languageModel(textVocabularySize: built.tokenizer.vocabularySize))
        #expect(manifest.corpus.corpusSeed == PretrainingCorpus.corpusSeed(forExperimentSeed: 1))
        #expect(manifest.corpus.samples == 18 && manifest.corpus.removedOverlaps == 0)
        #expect(try Self.cache(directory).readManifest() == manifest)

        let second = PretrainingLog()
        let loaded = try Self.cache(directory).ensure(Self.everything, progress: second.progress, warning: second.warn)
        #expect(second.steps.isEmpty && second.warnings.isEmpty)
        #expect(loaded.tokenizer == built.tokenizer)
        for component in Self.everything {
            #expect(try loaded.parameters(of: component) == built.parameters(of: component), "\(component)")
        }
    }

    @Test func sameSeedGivesTheSameParts() throws {
        let directory = try PretrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let parts = try Self.cache(directory).ensure([.languageModel, .imageTokenizer])
        let template = try Self.cache(try Self.template.get()).ensure([.languageModel, .imageTokenizer])
        #expect(try parts.parameters(of: .languageModel) == template.parameters(of: .languageModel))
        #expect(try parts.parameters(of: .imageTokenizer) == template.parameters(of: .imageTokenizer))
    }

    @Test func corruptedFileIsRetrainedWithAWarning() throws {
        let directory = try Self.copyOfTemplate()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try Self.cache(directory).readManifest()
        let url = directory.appendingPathComponent("vision_encoder.safetensors")
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 3] ^= 0x40                      // one flipped bit inside a weight
        try bytes.write(to: url)

        let log = PretrainingLog()
        let parts = try Self.cache(directory).ensure(Self.everything, progress: log.progress, warning: log.warn)
        #expect(log.warnings.count == 1)
        #expect(log.warnings.first?.contains("vision_encoder.safetensors: checksum") == true)
        #expect(log.stagesRun.contains("vision_encoder"))
        #expect(!log.stagesRun.contains("language_model") && !log.stagesRun.contains("image_tokenizer"))
        // The connector is retrained exactly when the retrained encoder differs from the one it was built on.
        let after = try Self.cache(directory).readManifest()
        let encoderChanged = after.record(of: .visionEncoder)!.file.checksum != before.record(of: .visionEncoder)!.file.checksum
        #expect(log.stagesRun.contains("connector_linear") == encoderChanged)
        #expect(try parts.parameters(of: .visionEncoder).isFinite)
        // The rebuilt cache loads cleanly.
        let again = PretrainingLog()
        try Self.cache(directory).ensure(Self.everything, progress: again.progress, warning: again.warn)
        #expect(again.steps.isEmpty && again.warnings.isEmpty)
    }

    @Test func truncatedFileIsRetrainedWithItsDependents() throws {
        let directory = try Self.copyOfTemplate()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("language_model.safetensors")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        // Pretend a new language model differs: dependents must follow it.
        var manifest = try Self.cache(directory).readManifest()
        let index = manifest.components.firstIndex { $0.component == "connector_linear" }!
        manifest.components[index].trainedFrom["language_model.safetensors"] = "0000000000000000"
        try JSONEncoder().encode(manifest).write(to: directory.appendingPathComponent("manifest.json"))

        let log = PretrainingLog()
        try Self.cache(directory).ensure(Self.everything, progress: log.progress, warning: log.warn)
        #expect(log.warnings.contains { $0.contains("language_model.safetensors") && $0.contains("bytes") })
        #expect(log.warnings.contains { $0.contains("connector_linear.safetensors was trained from a different language_model") })
        #expect(log.stagesRun.isSuperset(of: ["language_model", "connector_linear"]))
        #expect(!log.stagesRun.contains("vision_encoder") && !log.stagesRun.contains("image_tokenizer"))
    }

    @Test func fileThatIsNotSafetensorsIsRetrainedEvenWithAMatchingChecksum() throws {
        let directory = try Self.copyOfTemplate()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("image_tokenizer.safetensors")
        let garbage = Data("not a safetensors file".utf8)
        try garbage.write(to: url)
        var manifest = try Self.cache(directory).readManifest()
        let index = manifest.components.firstIndex { $0.component == "image_tokenizer" }!
        manifest.components[index].file = CacheFileRecord(file: url.lastPathComponent, bytes: garbage.count, checksum: fnv1a64Hex(garbage))
        try JSONEncoder().encode(manifest).write(to: directory.appendingPathComponent("manifest.json"))

        let log = PretrainingLog()
        let parts = try Self.cache(directory).ensure([.imageTokenizer], progress: log.progress, warning: log.warn)
        #expect(log.warnings.count == 1 && log.warnings[0].contains("safetensors"))
        #expect(log.stagesRun == ["image_tokenizer"])
        let tokenizer = VQTokenizer(config: ModelSize.tiny.imageTokenizer, seed: 0)
        try tokenizer.load(try parts.parameters(of: .imageTokenizer), strict: true)
    }

    @Test func cacheBuiltWithOtherSettingsIsRebuilt() throws {
        let directory = try Self.copyOfTemplate()
        defer { try? FileManager.default.removeItem(at: directory) }
        var schedule = PretrainingFixtures.twoStepSchedule
        schedule.languageModel.steps = 3
        let log = PretrainingLog()
        let parts = try Self.cache(directory, schedule: schedule).ensure([.languageModel], progress: log.progress, warning: log.warn)
        #expect(log.warnings.count == 1 && log.warnings[0].contains("different stage schedule"))
        #expect(log.steps.filter { $0.stage == "language_model" }.count == 3)
        #expect(parts.manifest.components.map(\.component) == ["language_model"])

        // A broken manifest is also a reason to rebuild, never an error.
        try Data("{".utf8).write(to: directory.appendingPathComponent("manifest.json"))
        let broken = PretrainingLog()
        try Self.cache(directory, schedule: schedule).ensure([.languageModel], progress: broken.progress, warning: broken.warn)
        #expect(broken.warnings.count == 1 && broken.warnings[0].contains("not a valid manifest"))
    }

    @Test func factoriesLoadPretrainedBasesUnderFreshLoRA() throws {
        let directory = try Self.copyOfTemplate()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = Self.cache(directory)
        let log = PretrainingLog()
        let encoderBased = try makeEncoderBasedModel(size: .tiny, connector: .linear, cache: cache, seed: 11,
                                                     progress: log.progress, warning: log.warn)
        let encoderFree = try makeEncoderFreeModel(size: .tiny, cache: cache, seed: 11, progress: log.progress, warning: log.warn)
        #expect(log.steps.isEmpty && log.warnings.isEmpty)
        let parts = try cache.ensure(Self.everything)

        func expectBase(_ module: Module, equals set: ParameterSet) {
            for (name, parameter) in module.namedParameters() where !LoRA.isAdapterParameter(name) {
                #expect(parameter.value == set[name], "\(name)")
            }
        }
        expectBase(encoderBased.visionTower, equals: try parts.parameters(of: .visionEncoder))
        expectBase(encoderBased.languageModel, equals: try parts.parameters(of: .languageModel))
        expectBase(encoderBased.connector, equals: try parts.parameters(of: .connector(.linear)))
        expectBase(encoderFree.imageTokenizer, equals: try parts.parameters(of: .imageTokenizer))
        expectBase(encoderFree.languageModel, equals: try parts.parameters(of: .unifiedDecoder))
        // Fresh adapters: B = 0, so each model starts as its pretrained base; only they train.
        for model in [encoderBased as any VisionLanguageModel, encoderFree] {
            let adapters = LoRA.adapterParameters(of: model)
            #expect(!adapters.isEmpty)
            #expect(adapters.entries.filter { $0.name.hasSuffix("lora_B") }.allSatisfy { $0.tensor.squaredNorm() == 0 })
            #expect(Set(model.parameterNames(in: .languageModelLoRA)) == Set(adapters.names))
        }
        // Both read a federated sample of their size.
        let sample = try SyntheticDatasetKind.fgvc.generate(trainCount: 1, testCount: 0, seed: 1, imageSize: 32).train
        #expect(try encoderBased.loss(sample).value.scalar.isFinite)
        #expect(try encoderFree.loss(sample).value.scalar.isFinite)

        #expect(throws: PretrainingError.self) { try makeEncoderFreeModel(size: .small, cache: cache, seed: 0) }
        let partial = try cache.ensure([.languageModel])
        #expect(throws: PretrainingError.self) { try partial.makeEncoderFreeModel(seed: 0) }
    }

    @Test func defaultDirectoryFollowsTheEnvironmentAndBudget() {
        let quick = PretrainedCache.defaultDirectory(size: .tiny, seed: 3, environment: [:])
        #expect(quick.path.hasSuffix("fedvlm-cache/tiny-seed3"))
        let smoke = PretrainedCache.defaultDirectory(size: .small, seed: 0, budget: .smoke, environment: ["FEDVLM_CACHE": "/data/c"])
        #expect(smoke.path == "/data/c/small-seed0-smoke")
        #expect(PretrainedComponent.connector(.mlpGELU(depth: 2)).fileName == "connector_mlp2x_gelu.safetensors")
    }

    @Test func progressPrinterReportsStagesAndIntervals() {
        var lines: [String] = []
        let printer = PretrainingProgressPrinter(interval: 2) { lines.append($0) }
        let progress = printer.callback
        progress("language_model", 1, 3, 4)
        progress("language_model", 2, 3, 2)
        progress("language_model", 3, 3, 1)
        progress("image_tokenizer", 0, 5, .nan)
        #expect(lines.count == 4)
        #expect(lines[0] == "[language_model] training for 3 steps")
        #expect(lines[1].hasPrefix("[language_model] 2/3  loss 3.0000"))
        #expect(lines[2].hasPrefix("[language_model] 3/3  loss 1.0000"))
        #expect(lines[3] == "[image_tokenizer] training for 5 steps")
    }
}

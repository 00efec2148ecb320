// Small corpora, configs and data sources for the pretraining tests.

import Datasets
import Foundation
import Models
import NN
import Tensors

enum PretrainingFixtures {
    static let colours: [(String, [Float])] = [("red", [1, 0, 0]), ("green", [0, 1, 0]), ("blue", [0, 0, 1]), ("yellow", [1, 1, 0])]
    static let places = ["top", "bottom"]

    /// Eight distinct 8 × 8 images (a coloured square in the top or bottom half on grey) with a
    /// question, an answer and a caption naming the colour and the place.
    static func samples(size: Int = 8) -> [Sample] {
        var result: [Sample] = []
        for (colourIndex, (colour, rgb)) in colours.enumerated() {
            for (placeIndex, place) in places.enumerated() {
                var image = Image(channels: 3, height: size, width: size, fill: 0.5)
                let rows = placeIndex == 0 ? 0..<(size / 2) : (size / 2)..<size
                for c in 0..<3 { for y in rows { for x in 0..<size { image[c, y, x] = rgb[c] } } }
                let index = colourIndex * places.count + placeIndex
                result.append(Sample(id: "shape-\(index)", image: image,
                                     conversations: [Turn(from: "human", value: "<image>\nDescribe the image briefly."),
                                                     Turn(from: "gpt", value: "A \(colour) square at the \(place).")],
                                     task: .captioning, category: colour))
            }
        }
        return result
    }

    static func corpus() throws -> PretrainingCorpus { try PretrainingCorpus(samples: samples()) }

    static func tokenizer(_ corpus: PretrainingCorpus) -> WordTokenizer {
        PretrainingData(corpusSamples: corpus.samples, federatedSamples: []).tokenizer(corpus: corpus)
    }

    static let vision = VisionEncoderConfig(imageSize: 8, patchSize: 4, dimension: 16, layers: 2, heads: 2)
    static let imageTokenizer = VQTokenizerConfig(imageSize: 8, hiddenChannels: 8, codeDimension: 4, codebookSize: 8)

    static func language(textVocabularySize: Int) -> LanguageModelConfig {
        LanguageModelConfig(vocabularySize: UnifiedVocabulary(textCount: textVocabularySize, codebookSize: imageTokenizer.codebookSize).count,
                            dimension: 32, layers: 2, heads: 4, keyValueHeads: 2, hiddenDimension: 64, maxSequenceLength: 96)
    }

    /// A data source over the real synthetic generators, small enough for debug-build tests:
    /// `perDataset` corpus samples of each dataset (corpus seed) and the smoke preset's federated
    /// samples (experiment seed).
    static func syntheticSource(perDataset: Int = 3) -> PretrainingDataSource {
        PretrainingDataSource(name: "synthetic-test-\(perDataset)") { seed, _ in
            var corpus: [Sample] = []
            var federated: [Sample] = []
            for kind in SyntheticDatasetKind.allCases {
                corpus += try kind.generate(trainCount: perDataset, testCount: 0,
                                            seed: PretrainingCorpus.corpusSeed(forExperimentSeed: seed),
                                            imageSize: ModelSize.imageSize).train
                let smoke = try kind.generate(preset: .smoke, seed: seed, imageSize: ModelSize.imageSize)
                federated += smoke.train + smoke.test
            }
            return PretrainingData(corpusSamples: corpus, federatedSamples: federated)
        }
    }

    /// Two steps per stage with small batches: enough to exercise every stage and the cache.
    static let twoStepSchedule = PretrainingSchedule(
        visionEncoder: StageSettings(steps: 2, batchSize: 6, learningRate: 1e-3),
        languageModel: StageSettings(steps: 2, batchSize: 2, learningRate: 1e-3),
        connector: StageSettings(steps: 2, batchSize: 2, learningRate: 1e-3),
        imageTokenizer: StageSettings(steps: 2, batchSize: 4, learningRate: 2e-3),
        unifiedDecoder: StageSettings(steps: 2, batchSize: 2, learningRate: 3e-4))

    /// A fresh temporary directory (removed by the caller).
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fedvlm-pretrain-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Collects progress calls and warnings.
final class PretrainingLog: @unchecked Sendable {
    var steps: [(stage: String, step: Int, total: Int, loss: Float)] = []
    var warnings: [String] = []
    var progress: PretrainingProgress { { [self] in steps.append(($0, $1, $2, $3)) } }
    func warn(_ message: String) { warnings.append(message) }
    var stagesRun: Set<String> { Set(steps.map(\.stage)) }
}

// "The answer needs the image": for every generator, a blind baseline that sees only the
// question (the majority train answer for the same question text, or the mean train box)
// stays near chance, while a simple image-based probe (nearest train neighbour on pooled
// pixels among samples with the same question, and colour probes for Fed-Nature) does
// clearly better. Training the tiny VLM on these datasets is the examples' job; these probes
// are the model-free version of the argument and run in seconds of a debug build.
//
// All datasets use fixed seeds, so the numbers are deterministic; the bounds leave room for
// small changes to the generators.

import Foundation
import Testing
@testable import Datasets

/// Average-pooled RGB pixels on a `cells` x `cells` grid: [3 * cells * cells].
private func pooledFeatures(_ image: Image, cells: Int = 8) -> [Float] {
    var features = [Float](repeating: 0, count: 3 * cells * cells)
    let cellHeight = image.height / cells, cellWidth = image.width / cells
    let norm = 1 / Float(cellHeight * cellWidth)
    for c in 0..<3 {
        for y in 0..<image.height {
            for x in 0..<image.width {
                features[(c * cells + y / cellHeight) * cells + x / cellWidth] += image[c, y, x] * norm
            }
        }
    }
    return features
}

/// Lower-cased word tokens.
private func words(_ text: String) -> [String] {
    text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
}

/// Words every caption or report template repeats; left out so that F1 measures content.
private let templateWords: Set<String> = ["a", "an", "the", "and", "of", "in", "on", "with", "at", "its", "by", "is",
                                  "there", "that", "to", "under", "sky", "from", "one"]

/// Unigram F1 between the content words of two texts (a stand-in for CIDEr / ROUGE-L that
/// needs no corpus).
private func unigramF1(_ candidate: String, _ reference: String) -> Double {
    let a = words(candidate).filter { !templateWords.contains($0) }, b = words(reference).filter { !templateWords.contains($0) }
    var remaining: [String: Int] = [:]
    for word in b { remaining[word, default: 0] += 1 }
    var overlap = 0
    for word in a where (remaining[word] ?? 0) > 0 {
        overlap += 1
        remaining[word]! -= 1
    }
    guard overlap > 0 else { return 0 }
    let precision = Double(overlap) / Double(a.count), recall = Double(overlap) / Double(b.count)
    return 2 * precision * recall / (precision + recall)
}

/// The box of a "The coordinates are [...]" target.
private func answerBox(_ text: String) -> BoundingBox? {
    syntheticParsedCoordinates(text).map { BoundingBox(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) }
}

/// Score of a predicted target against the gold one: exact match, IoU or unigram F1.
private func score(_ prediction: String, _ gold: Sample) -> Double {
    switch gold.task {
    case .grounding:
        guard let predicted = answerBox(prediction), let truth = answerBox(gold.answer) else { return 0 }
        return predicted.intersectionOverUnion(truth)
    case .captioning, .reportGeneration:
        return unigramF1(prediction, gold.answer)
    case .classification, .vqa:
        return prediction == gold.answer ? 1 : 0
    }
}

/// Blind and image-probe predictions for a dataset's test split.
private struct Probes {
    let dataset: MultimodalDataset
    let trainFeatures: [[Float]]
    let trainByQuestion: [String: [Int]]

    init(_ dataset: MultimodalDataset) {
        self.dataset = dataset
        trainFeatures = dataset.train.map { pooledFeatures($0.image) }
        var byQuestion: [String: [Int]] = [:]
        for (index, sample) in dataset.train.enumerated() { byQuestion[Self.question(sample), default: []].append(index) }
        trainByQuestion = byQuestion
    }

    /// The question without multiple-choice options (whose order is shuffled per sample).
    static func question(_ sample: Sample) -> String {
        sample.prompt.components(separatedBy: " Options: ")[0]
    }

    static func isMultipleChoice(_ sample: Sample) -> Bool { sample.attributes["format"] == "multiple_choice" }

    /// The options of a multiple-choice prompt, in letter order.
    static func options(_ sample: Sample) -> [String] {
        let parts = sample.prompt.components(separatedBy: " Options: ")
        guard parts.count == 2 else { return [] }
        return parts[1].dropLast().components(separatedBy: ", ").map { String($0.dropFirst(3)) }
    }

    /// The answer as a word: the option text for a multiple-choice letter.
    static func answerWord(_ sample: Sample) -> String {
        let answer = syntheticParsedAnswer(sample.answer) ?? sample.answer
        guard isMultipleChoice(sample), let letter = answer.first?.asciiValue else { return answer }
        return options(sample)[Int(letter - UInt8(ascii: "A"))]
    }

    /// Train samples with the same question (and the same format), else all train samples of the same task.
    func pool(_ sample: Sample) -> [Int] {
        let same = (trainByQuestion[Self.question(sample)] ?? []).filter {
            Self.isMultipleChoice(dataset.train[$0]) == Self.isMultipleChoice(sample)
        }
        return same.isEmpty ? dataset.train.indices.filter { dataset.train[$0].task == sample.task } : same
    }

    /// What a text-only model can do at best on average: the most frequent target for this
    /// question (ties broken by text order), or the mean box for grounding.
    func blind(_ sample: Sample) -> String {
        let candidates = pool(sample)
        if sample.task == .grounding {
            let boxes = candidates.compactMap { answerBox(dataset.train[$0].answer) }
            let n = Double(boxes.count)
            return SyntheticText.coordinates(BoundingBox(
                x: boxes.map(\.x).reduce(0, +) / n, y: boxes.map(\.y).reduce(0, +) / n,
                width: boxes.map(\.width).reduce(0, +) / n, height: boxes.map(\.height).reduce(0, +) / n))
        }
        var counts: [String: Int] = [:]
        for index in candidates { counts[dataset.train[index].answer, default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
    }

    /// Chance level of a question: one over the number of distinct train answers to it.
    func chance(_ sample: Sample) -> Double {
        1 / Double(Set(pool(sample).map { dataset.train[$0].answer }).count)
    }

    /// The train sample among `candidates` whose image is nearest (squared distance of pooled pixels).
    func nearest(_ sample: Sample, among candidates: [Int]) -> Int {
        let features = pooledFeatures(sample.image)
        var best = -1
        var bestDistance = Float.infinity
        for index in candidates {
            // Indexed loops over buffers: iterator-based code is slow in debug builds.
            let distance = features.withUnsafeBufferPointer { a in
                trainFeatures[index].withUnsafeBufferPointer { b in
                    var sum: Float = 0
                    for j in 0..<a.count { sum += (a[j] - b[j]) * (a[j] - b[j]) }
                    return sum
                }
            }
            if distance < bestDistance {
                bestDistance = distance
                best = index
            }
        }
        return best
    }

    /// The target of the nearest train image asked the same question; for multiple choice,
    /// the neighbour's answer word (from either format) mapped to this question's letter.
    func nearestNeighbour(_ sample: Sample) -> String {
        guard Self.isMultipleChoice(sample) else { return dataset.train[nearest(sample, among: pool(sample))].answer }
        let neighbour = dataset.train[nearest(sample, among: trainByQuestion[Self.question(sample)] ?? pool(sample))]
        let letters = ["A", "B", "C", "D"]
        let index = Self.options(sample).firstIndex(of: Self.answerWord(neighbour)) ?? 0
        return SyntheticText.answer(letters[index])
    }

    /// Mean scores over the test samples selected by `filter`.
    func evaluate(where filter: (Sample) -> Bool = { _ in true },
                  imageProbe: ((Sample) -> String)? = nil) -> (blind: Double, image: Double, chance: Double, count: Int) {
        let samples = dataset.test.filter(filter)
        let n = Double(samples.count)
        let blindScore = samples.map { score(blind($0), $0) }.reduce(0, +) / n
        let imageScore = samples.map { score((imageProbe ?? nearestNeighbour)($0), $0) }.reduce(0, +) / n
        let chanceLevel = samples.map { chance($0) }.reduce(0, +) / n
        return (blindScore, imageScore, chanceLevel, samples.count)
    }
}

/// Pixels of `image` within L1 distance `tolerance` of `colour`, as (x, y).
private func pixels(of colour: RGBColour, in image: Image, tolerance: Float = 0.25) -> [(x: Int, y: Int)] {
    var result: [(x: Int, y: Int)] = []
    for y in 0..<image.height {
        for x in 0..<image.width {
            let distance = abs(image[0, y, x] - colour.red) + abs(image[1, y, x] - colour.green) + abs(image[2, y, x] - colour.blue)
            if distance < tolerance { result.append((x, y)) }
        }
    }
    return result
}

/// Fed-Nature probes that read colours off the image: the ground colour for "Where is ...?",
/// the most frequent candidate colour for "What is the color of ...?", the largest blob of
/// the named colour for grounding; nearest neighbour otherwise.
private func natureImageProbe(_ probes: Probes) -> (Sample) -> String {
    { sample in
        let image = sample.image
        let question = sample.prompt
        switch (sample.task, sample.attributes["question_type"]) {
        case (.vqa, "location"):
            let grounds: [String: RGBColour] = ["grass": RGBColour(red: 0.3, green: 0.58, blue: 0.24),
                                                "sand": RGBColour(red: 0.86, green: 0.76, blue: 0.52),
                                                "snow": RGBColour(red: 0.92, green: 0.93, blue: 0.96)]
            let ground = grounds.max { pixels(of: $0.value, in: image).count < pixels(of: $1.value, in: image).count }!
            return SyntheticText.answer(ground.key)
        case (.vqa, "color"):
            let objectClass = SyntheticNature.classes.first { question.contains("the \($0)?") }!
            let best = SyntheticNature.colours(of: objectClass).max {
                pixels(of: SyntheticPalette.colour($0), in: image).count < pixels(of: SyntheticPalette.colour($1), in: image).count
            }!
            return SyntheticText.answer(best)
        case (.grounding, _):
            guard let colour = (SyntheticNature.paintColours + ["brown", "black", "orange"]).first(where: { question.contains("the \($0) ") })
            else { return probes.nearestNeighbour(sample) }
            // Largest 4-connected blob of the named colour.
            let matching = pixels(of: SyntheticPalette.colour(colour), in: image)
            var label = [Int](repeating: -1, count: image.width * image.height)
            for (x, y) in matching { label[y * image.width + x] = 0 }
            var bestBlob: [(Int, Int)] = []
            for (x, y) in matching where label[y * image.width + x] == 0 {
                var blob: [(Int, Int)] = [], stack = [(x, y)]
                label[y * image.width + x] = 1
                while let (cx, cy) = stack.popLast() {
                    blob.append((cx, cy))
                    for (nx, ny) in [(cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)]
                    where nx >= 0 && ny >= 0 && nx < image.width && ny < image.height && label[ny * image.width + nx] == 0 {
                        label[ny * image.width + nx] = 1
                        stack.append((nx, ny))
                    }
                }
                if blob.count > bestBlob.count { bestBlob = blob }
            }
            guard !bestBlob.isEmpty else { return probes.nearestNeighbour(sample) }
            let xs = bestBlob.map(\.0), ys = bestBlob.map(\.1), size = Double(image.width)
            return SyntheticText.coordinates(BoundingBox(
                x: Double(xs.min()!) / size, y: Double(ys.min()!) / size,
                width: Double(xs.max()! - xs.min()! + 1) / size, height: Double(ys.max()! - ys.min()! + 1) / size))
        default:
            return probes.nearestNeighbour(sample)
        }
    }
}

@Suite struct SyntheticProbeTests {
    func report(_ name: String, _ result: (blind: Double, image: Double, chance: Double, count: Int)) -> Comment {
        Comment(rawValue: "\(name): blind \(result.blind), image \(result.image), chance \(result.chance), n \(result.count)")
    }

    @Test func fgvcNeedsTheImage() throws {
        let probes = Probes(try SyntheticDatasetKind.fgvc.generate(trainCount: 600, testCount: 150, seed: 2024))
        let result = probes.evaluate()
        // One question for all classes: a blind model is at chance (1/30).
        #expect(result.blind <= result.chance + 0.05, report("fgvc", result))
        #expect(result.image >= 2.0 / 30, report("fgvc", result))
        // Per part, the nearest neighbour reads the wing shape far above its chance of 1/5.
        let everything = Array(probes.dataset.train.indices)
        let wingHits = probes.dataset.test.filter { sample in
            probes.dataset.train[probes.nearest(sample, among: everything)].attributes["wing"] == sample.attributes["wing"]
        }.count
        #expect(Double(wingHits) / 150 >= 0.4)
    }

    @Test func scienceCapNeedsTheImage() throws {
        let probes = Probes(try SyntheticDatasetKind.scienceCap.generate(trainCount: 540, testCount: 135, seed: 2024))
        let result = probes.evaluate()
        let exactBlind = probes.dataset.test.filter { probes.blind($0) == $0.answer }.count
        #expect(Double(exactBlind) / 135 <= 0.03, "blind exact matches \(exactBlind)")
        #expect(result.blind <= 0.3, report("sciencecap", result))
        #expect(result.image >= result.blind + 0.3, report("sciencecap", result))
    }

    @Test func slakeNeedsTheImage() throws {
        let probes = Probes(try SyntheticDatasetKind.slake.generate(trainCount: 420, testCount: 105, seed: 2024))
        let result = probes.evaluate()
        #expect(result.blind <= result.chance + 0.1, report("slake", result))
        #expect(result.image >= result.blind + 0.15, report("slake", result))
        for type in ["modality", "organ"] {
            let part = probes.evaluate { $0.attributes["question_type"] == type }
            #expect(part.image >= part.chance + 0.25, report("slake \(type)", part))
        }
    }

    @Test func radGenomeNeedsTheImage() throws {
        let probes = Probes(try SyntheticDatasetKind.radGenome.generate(trainCount: 300, testCount: 90, seed: 2024))
        let result = probes.evaluate()
        #expect(result.blind <= 0.45, report("radgenome", result))
        #expect(result.image >= result.blind + 0.15, report("radgenome", result))
    }

    @Test func natureNeedsTheImage() throws {
        let probes = Probes(try SyntheticDatasetKind.nature.generate(trainCount: 1600, testCount: 400, seed: 2024))
        let imageProbe = natureImageProbe(probes)
        func part(_ task: TaskKind) -> (blind: Double, image: Double, chance: Double, count: Int) {
            probes.evaluate(where: { $0.task == task }, imageProbe: imageProbe)
        }
        let vqa = part(.vqa), captioning = part(.captioning), grounding = part(.grounding), classification = part(.classification)
        #expect(vqa.blind <= vqa.chance + 0.1, report("nature vqa", vqa))
        #expect(vqa.image >= vqa.blind + 0.2, report("nature vqa", vqa))
        #expect(classification.blind <= classification.chance + 0.1, report("nature classification", classification))
        #expect(classification.image >= max(classification.blind + 0.1, 2 * classification.chance),
                report("nature classification", classification))
        #expect(captioning.image >= captioning.blind + 0.1, report("nature captioning", captioning))
        #expect(grounding.blind <= 0.2, report("nature grounding", grounding))
        #expect(grounding.image >= grounding.blind + 0.08, report("nature grounding", grounding))
    }

    /// The three findings of a report (heart, lungs, pleura), one sentence each.
    func findings(_ report: String) -> [String] {
        report.components(separatedBy: ". ").map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
    }

    @Test func medNeedsTheImage() throws {
        let probes = Probes(try SyntheticDatasetKind.med.generate(trainCount: 600, testCount: 150, seed: 2024))
        let vqa = probes.evaluate { $0.task == .vqa }
        #expect(vqa.blind <= 0.5, report("med vqa", vqa))
        #expect(vqa.image >= vqa.blind + 0.15, report("med vqa", vqa))
        let grounding = probes.evaluate { $0.task == .grounding }
        #expect(grounding.blind <= 0.5, report("med grounding", grounding))
        #expect(grounding.image >= grounding.blind + 0.1, report("med grounding", grounding))
        // Reports: share of the three findings stated right, blind versus nearest neighbour.
        let reports = probes.dataset.test.filter { $0.task == .reportGeneration }
        func findingAccuracy(_ predict: (Sample) -> String) -> Double {
            let hits = reports.map { sample in
                zip(findings(predict(sample)), findings(sample.answer)).filter { $0 == $1 }.count
            }.reduce(0, +)
            return Double(hits) / Double(3 * reports.count)
        }
        let blind = findingAccuracy(probes.blind), image = findingAccuracy(probes.nearestNeighbour)
        #expect(blind <= 0.55, "blind \(blind)")
        #expect(image >= blind + 0.1, "blind \(blind), image \(image)")
    }
}

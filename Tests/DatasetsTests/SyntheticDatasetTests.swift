// The six synthetic datasets: registry, Table 2 facts, determinism, reference text formats,
// boxes against drawn pixels.

import Foundation
import Testing
@testable import Datasets

/// Smoke-preset datasets (seed 11), generated once and shared by the tests of this file.
let syntheticSmokeDatasets: [SyntheticDatasetKind: MultimodalDataset] = Dictionary(uniqueKeysWithValues:
    SyntheticDatasetKind.allCases.map { kind in
        // generate(preset:seed:imageSize:) only throws for invalid image sizes; 32 is valid.
        (kind, try! kind.generate(preset: .smoke, seed: 11))
    })

/// "The answer is X." -> X (nil if the text is not in that form).
func syntheticParsedAnswer(_ text: String) -> String? {
    let prefix = "The answer is ", suffix = "."
    guard text.hasPrefix(prefix), text.hasSuffix(suffix), text.count > prefix.count + suffix.count else { return nil }
    return String(text.dropFirst(prefix.count).dropLast(suffix.count))
}

/// "The coordinates are [x, y, w, h]." with two-decimal numbers -> [x, y, w, h].
func syntheticParsedCoordinates(_ text: String) -> [Double]? {
    let prefix = "The coordinates are [", suffix = "]."
    guard text.hasPrefix(prefix), text.hasSuffix(suffix) else { return nil }
    let fields = text.dropFirst(prefix.count).dropLast(suffix.count).components(separatedBy: ", ")
    let twoDecimals = fields.allSatisfy { field in
        let parts = field.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].count == 2 && field.allSatisfy { $0.isNumber || $0 == "." }
    }
    guard fields.count == 4, twoDecimals else { return nil }
    return fields.compactMap(Double.init)
}

@Suite struct SyntheticDatasetTests {
    @Test func registryNamesAndErrors() throws {
        #expect(SyntheticDatasetKind.allCases.map(\.name)
                    == ["fed-fgvc", "fed-sciencecap", "fed-slake", "fed-radgenome", "fed-nature", "fed-med"])
        #expect(try SyntheticDatasetKind(name: "Fed-FGVC") == .fgvc)
        #expect(try DatasetPreset(named: "QUICK") == .quick)
        do {
            _ = try SyntheticDatasetKind(name: "fed-mnist")
            Issue.record("an unknown name must throw")
        } catch let error as SyntheticDataError {
            let message = error.description
            #expect(message.contains("fed-mnist"))
            for kind in SyntheticDatasetKind.allCases { #expect(message.contains(kind.name)) }
        }
        #expect(throws: SyntheticDataError.self) { try DatasetPreset(named: "huge") }
        #expect(throws: SyntheticDataError.invalidImageSize(8, allowed: 16...512)) {
            try SyntheticDatasetKind.fgvc.generate(preset: .smoke, seed: 0, imageSize: 8)
        }
        #expect(throws: SyntheticDataError.invalidSampleCount(field: "testCount", value: -1)) {
            try SyntheticDatasetKind.slake.generate(trainCount: 1, testCount: -1)
        }
    }

    /// Table 2 and section 3 of the paper: tasks, categories, maximum clients, partition attribute.
    @Test(arguments: [
        (SyntheticDatasetKind.fgvc, [TaskKind.classification], 30, 30, "manufacturer"),
        (.scienceCap, [.captioning], 27, 27, "category"),
        (.slake, [.vqa], 3, 3, "modality"),
        (.radGenome, [.grounding], 3, 3, "organ"),
        (.nature, [.vqa, .captioning, .grounding, .classification], 4, 4, "task"),
        (.med, [.vqa, .reportGeneration, .grounding], 3, 3, "task"),
    ])
    func matchesTable2(kind: SyntheticDatasetKind, tasks: [TaskKind], categories: Int, maxClients: Int, attribute: String) throws {
        let info = kind.info
        #expect(info.tasks == tasks)
        #expect(info.categoryCount == categories)
        #expect(info.maxClients == maxClients)
        #expect(info.partitionAttribute == attribute)
        let dataset = try #require(syntheticSmokeDatasets[kind])
        #expect(dataset.info == info)
        #expect(dataset.train.count == kind.sizes(for: .smoke).train)
        #expect(dataset.test.count == kind.sizes(for: .smoke).test)
        // Every category is present and balanced exactly in the train split.
        var perCategory: [String: Int] = [:]
        for sample in dataset.train { perCategory[sample.category, default: 0] += 1 }
        #expect(perCategory.count == categories)
        #expect(Set(perCategory.values).count == 1, "\(perCategory)")
        #expect(Set(dataset.train.map(\.task)) == Set(tasks))
    }

    @Test(arguments: SyntheticDatasetKind.allCases)
    func presetSizesGrowAndSplitEvenly(kind: SyntheticDatasetKind) {
        let smoke = kind.sizes(for: .smoke), quick = kind.sizes(for: .quick), full = kind.sizes(for: .full)
        #expect(smoke.train >= 24 && smoke.train <= 60)
        #expect(quick.train >= 300 && quick.train <= 2000)
        #expect(full.train >= 3000)
        #expect(smoke.train < quick.train && quick.train < full.train)
        for sizes in [smoke, quick, full] { #expect(sizes.train % kind.info.categoryCount == 0) }
    }

    @Test(arguments: SyntheticDatasetKind.allCases)
    func sameSeedGivesByteIdenticalSamples(kind: SyntheticDatasetKind) throws {
        let first = try kind.generate(trainCount: 8, testCount: 4, seed: 5)
        let second = try kind.generate(trainCount: 8, testCount: 4, seed: 5)
        let other = try kind.generate(trainCount: 8, testCount: 4, seed: 6)
        #expect(first == second)
        for (a, b) in zip(first.train + first.test, second.train + second.test) {
            #expect(a.image.pixels.map(\.bitPattern) == b.image.pixels.map(\.bitPattern))
        }
        for (a, b) in zip(first.train, other.train) { #expect(a.image != b.image, "\(a.id) same for seeds 5 and 6") }
        // A smaller request is a prefix of a larger one (sample i does not depend on the count).
        let larger = try kind.generate(trainCount: 12, testCount: 6, seed: 5)
        #expect(Array(larger.train.prefix(8)) == first.train)
        #expect(Array(larger.test.prefix(4)) == first.test)
    }

    @Test(arguments: SyntheticDatasetKind.allCases)
    func samplesFollowTheReferenceFormats(kind: SyntheticDatasetKind) throws {
        let dataset = try #require(syntheticSmokeDatasets[kind])
        let all = dataset.train + dataset.test
        #expect(Set(all.map(\.id)).count == all.count, "ids must be unique")
        // Train and test images are drawn from independent streams and never coincide.
        let trainImages = Set(dataset.train.map(\.image))
        #expect(dataset.test.allSatisfy { !trainImages.contains($0.image) })
        for sample in all {
            #expect(sample.image.channels == 3 && sample.image.height == 32 && sample.image.width == 32)
            #expect(sample.image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(sample.conversations.map(\.from) == ["human", "gpt"])
            #expect(sample.prompt.hasPrefix(imagePlaceholder + "\n"))
            #expect(sample.prompt.components(separatedBy: imagePlaceholder).count == 2)
            let words = sample.answer.split(separator: " ").count
            switch sample.task {
            case .classification, .vqa:
                let answer = try #require(syntheticParsedAnswer(sample.answer), "\(sample.id): \(sample.answer)")
                #expect(!answer.isEmpty)
                if sample.task == .vqa {
                    let answerType = try #require(sample.answerType, "\(sample.id) lacks an answer type")
                    switch sample.attributes["format"] {
                    case "yes_no": #expect(["Yes", "No"].contains(answer) && answerType == .closed)
                    case "multiple_choice":
                        #expect(["A", "B", "C"].contains(answer) && answerType == .closed)
                        #expect(sample.prompt.contains(" Options: A. ") && sample.prompt.contains("\(answer). "))
                    default: #expect(answerType == .open)
                    }
                }
            case .grounding:
                let numbers = try #require(syntheticParsedCoordinates(sample.answer), "\(sample.id): \(sample.answer)")
                let box = try #require(sample.boxes.first)
                #expect(sample.boxes.count == 1)
                for (written, exact) in zip(numbers, [box.x, box.y, box.width, box.height]) {
                    #expect(abs(written - exact) <= 0.005 + 1e-9)
                }
                #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= 1 + 1e-9 && box.y + box.height <= 1 + 1e-9)
                #expect(box.width > 0.02 && box.height > 0.02, "\(sample.id): degenerate box \(box)")
            case .captioning, .reportGeneration:
                #expect(words >= 4 && words <= 20, "\(sample.id): \(words) words")
                #expect(sample.answer.hasSuffix(".") && !sample.answer.hasPrefix("The answer is"))
            }
        }
    }

    @Test func imageSizeIsConfigurable() throws {
        for kind in SyntheticDatasetKind.allCases {
            let dataset = try kind.generate(trainCount: 4, testCount: 0, seed: 1, imageSize: 64)
            #expect(dataset.train.allSatisfy { $0.image.width == 64 && $0.image.height == 64 && $0.image.channels == 3 })
        }
    }

    @Test func natureSharesEachImageAcrossItsFourTasks() throws {
        let dataset = try #require(syntheticSmokeDatasets[.nature])
        for scene in stride(from: 0, to: dataset.train.count, by: 4) {
            let group = Array(dataset.train[scene..<scene + 4])
            #expect(group.map(\.task) == [.vqa, .captioning, .grounding, .classification])
            #expect(Set(group.map(\.image)).count == 1)
            #expect(Set(group.compactMap { $0.attributes["image_id"] }).count == 1)
            #expect(group.map(\.category) == group.map(\.task.rawValue))
        }
        let clients = try #require(dataset.predefinedClients)
        #expect(clients.count == 4)
        #expect(clients.flatMap { $0 }.sorted() == Array(dataset.train.indices))
        for (client, task) in zip(clients, dataset.info.tasks) { #expect(client.allSatisfy { dataset.train[$0].task == task }) }
        let med = try #require(syntheticSmokeDatasets[.med]?.predefinedClients)
        #expect(med.map(\.count) == [16, 16, 16])
        #expect(syntheticSmokeDatasets[.fgvc]?.predefinedClients == nil)
    }

    @Test func natureLayoutsAlwaysFinishWithoutOverlaps() throws {
        // 300 scenes at 16 px: crowded draws must be redrawn, never loop forever or overlap.
        let dataset = try SyntheticDatasetKind.nature.generate(trainCount: 1200, testCount: 0, seed: 0, imageSize: 16)
        #expect(dataset.train.count == 1200)
        for sceneIndex in 0..<40 {
            var random = SyntheticRandom(seed: 0).derived(SyntheticDatasetKind.nature.rawValue).derived("train").derived(sceneIndex)
            let scene = SyntheticNature.scene(sceneIndex: sceneIndex, size: 16, random: &random)
            #expect(scene.image == dataset.train[4 * sceneIndex].image)
            for (i, a) in scene.objects.enumerated() {
                #expect(a.box.width <= 0.6 + 1e-9)
                for b in scene.objects[(i + 1)...] { #expect(a.box.intersectionOverUnion(b.box) == 0) }
            }
        }
    }

    @Test func fgvcNeighbouringClassesDifferInOneDetail() {
        let parts = (0..<30).map { SyntheticFGVC.parts(ofClass: $0) }
        #expect(Set(parts.map { [$0.wing, $0.engines, $0.tail] }).count == 30, "classes must be distinct part combinations")
        for (index, part) in parts.enumerated() {
            let neighbours = parts.filter { other in
                [other.wing != part.wing, other.engines != part.engines, other.tail != part.tail].filter { $0 }.count == 1
            }
            #expect(neighbours.count >= 3, "class \(index) has \(neighbours.count) one-detail neighbours")
        }
    }

    @Test func radGenomeBoxesMatchTheDrawnOrgans() throws {
        let size = 32
        for index in 0..<12 {
            var random = SyntheticRandom(seed: 77).derived(index)
            let organ = SyntheticRadGenome.organs[index % 3]
            let (rendering, box) = SyntheticRadGenome.drawn(organ: organ, size: size, random: &random)
            let canvas = SyntheticCanvas(size: size, background: RGBColour(red: 0, green: 0, blue: 0))
            var mask = [Float](repeating: 0, count: size * size)
            for shape in try #require(rendering.organShapes[organ]) {
                for (i, cover) in canvas.coverage(of: shape).enumerated() { mask[i] = max(mask[i], cover) }
            }
            let covered = mask.indices.filter { mask[$0] >= 0.5 }
            let xs = covered.map { $0 % size }, ys = covered.map { $0 / size }
            let pixelBox = [Double(xs.min()!), Double(ys.min()!), Double(xs.max()! + 1), Double(ys.max()! + 1)]
            let scaled = [box.x, box.y, box.x + box.width, box.y + box.height].map { $0 * Double(size) }
            for (a, b) in zip(pixelBox, scaled) { #expect(abs(a - b) <= 1.5, "\(organ) #\(index): pixels \(pixelBox) box \(scaled)") }
            // On the image itself: CT lungs are dark, the heart is brighter than the lungs.
            let image = rendering.image
            func meanInside(_ organName: String) throws -> Float {
                var sum: Float = 0, count: Float = 0
                for shape in try #require(rendering.organShapes[organName]) {
                    for (i, cover) in canvas.coverage(of: shape).enumerated() where cover == 1 {
                        sum += image[0, i / size, i % size]
                        count += 1
                    }
                }
                return sum / max(count, 1)
            }
            if organ != "abdomen" {
                #expect(try meanInside("lung") < 0.3)
                #expect(try meanInside("heart") > 0.4)
            }
        }
    }

    @Test func natureBoxesEncloseTheDrawnObjectsInTheirColour() throws {
        let size = 32
        for sceneIndex in 0..<16 {
            var random = SyntheticRandom(seed: 21).derived(sceneIndex)
            let scene = SyntheticNature.scene(sceneIndex: sceneIndex, size: size, random: &random)
            let canvas = SyntheticCanvas(size: size, background: RGBColour(red: 0, green: 0, blue: 0))
            for object in scene.objects {
                var mask = [Float](repeating: 0, count: size * size)
                for shape in object.shapes {
                    for (i, cover) in canvas.coverage(of: shape).enumerated() { mask[i] = max(mask[i], cover) }
                }
                // Any coverage counts: kite strings and dog tails are thinner than a pixel.
                let touched = mask.indices.filter { mask[$0] > 0.02 }
                let xs = touched.map { $0 % size }, ys = touched.map { $0 / size }
                #expect(abs(Double(xs.min()!) - object.box.x * Double(size)) <= 1.5)
                #expect(abs(Double(xs.max()! + 1) - (object.box.x + object.box.width) * Double(size)) <= 1.5)
                #expect(abs(Double(ys.min()!) - object.box.y * Double(size)) <= 1.5)
                #expect(abs(Double(ys.max()! + 1) - (object.box.y + object.box.height) * Double(size)) <= 1.5)
                // The named colour is drawn inside the box.
                guard object.box.width * object.box.height > 0.02 else { continue }
                let target = SyntheticPalette.colour(object.colour)
                let matching = mask.indices.filter { mask[$0] >= 0.5 }.filter { i in
                    let (y, x) = (i / size, i % size)
                    let d = abs(scene.image[0, y, x] - target.red) + abs(scene.image[1, y, x] - target.green)
                        + abs(scene.image[2, y, x] - target.blue)
                    return d < 0.3
                }
                #expect(matching.count >= 2, "\(object.colour) \(object.objectClass) in scene \(sceneIndex)")
            }
        }
    }

    @Test func fgvcClassIsAFunctionOfTheImage() throws {
        // Same nuisance (background, livery, pose, noise), every class: the 30 images differ,
        // and classes one detail apart still differ in pixels.
        var images: [Image] = []
        for classIndex in 0..<30 {
            var random = SyntheticRandom(seed: 99)
            images.append(SyntheticFGVC.render(classIndex: classIndex, size: 32, random: &random).image)
        }
        #expect(Set(images).count == 30)
        func difference(_ a: Int, _ b: Int) -> Float {
            zip(images[a].pixels, images[b].pixels).map { abs($0 - $1) }.reduce(0, +)
        }
        for classIndex in stride(from: 0, to: 30, by: 2) {
            #expect(difference(classIndex, classIndex + 1) > 1, "tails of classes \(classIndex), \(classIndex + 1)")
        }
        for classIndex in 0..<30 where (classIndex / 2) % 3 < 2 {
            #expect(difference(classIndex, classIndex + 2) > 1, "engines of classes \(classIndex), \(classIndex + 2)")
        }
    }
}

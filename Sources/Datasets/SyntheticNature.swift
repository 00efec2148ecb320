// Fed-Nature stand-in: outdoor scenes shared by four tasks, one client per task (paper,
// section 3: COCO classification, RefCOCO grounding and captions, COCO-QA VQA linked by image
// id; 4 clients).
//
// A scene is sky over ground (grass, sand or snow) with two to four objects from seven
// classes (car, house, tree, person, ball, kite, dog), placed at random where their boxes
// do not overlap, sized by depth (lower on the image = nearer = larger). Every scene yields four samples with the same
// image and `image_id`: a COCO-QA-style question (colour, number, object, location), a
// caption composed from the objects left to right, a referring expression to ground, and
// the class of the largest object.

/// The Fed-Nature generator.
enum SyntheticNature {
    /// Tasks in client order; sample `4 s + t` is task `t` of scene `s`.
    static let tasks: [TaskKind] = [.vqa, .captioning, .grounding, .classification]

    static let classes = ["car", "house", "tree", "person", "ball", "kite", "dog"]
    static let paintColours = ["red", "blue", "green", "yellow", "white", "purple"]
    static let grounds = ["grass", "sand", "snow"]
    static let skies = ["blue", "orange", "gray"]
    static let vqaTypes = ["color", "number", "object", "location"]

    static func colours(of objectClass: String) -> [String] {
        switch objectClass {
        case "tree": return ["green", "orange", "yellow"]
        case "dog": return ["brown", "black", "white"]
        default: return paintColours
        }
    }

    static func plural(_ objectClass: String) -> String {
        objectClass == "person" ? "people" : objectClass + "s"
    }

    /// Height at the front of the scene (fraction of the image) and width / height.
    static func baseSize(_ objectClass: String) -> (height: Double, aspect: Double) {
        switch objectClass {
        case "car": return (0.26, 1.9)
        case "house": return (0.44, 1.1)
        case "tree": return (0.5, 0.7)
        case "person": return (0.4, 0.45)
        case "ball": return (0.17, 1.0)
        case "kite": return (0.26, 0.8)
        default: return (0.22, 1.4)  // dog
        }
    }

    /// The object drawn with its bottom centre at the origin and height 1 (kites: centred).
    static func sketch(_ objectClass: String, colour name: String) -> SyntheticSketch {
        let colour = SyntheticPalette.colour(name)
        let dark = SyntheticPalette.gray(0.12)
        var sketch = SyntheticSketch()
        func p(_ x: Double, _ y: Double) -> SyntheticPoint { SyntheticPoint(x, y) }
        switch objectClass {
        case "car":
            sketch.fill(.polygon([p(-0.5, -0.62), p(-0.32, -1.0), p(0.35, -1.0), p(0.55, -0.62)]),
                        SyntheticPalette.mix(colour, SyntheticPalette.gray(1), 0.25))
            sketch.fill(.polygon([p(-0.38, -0.66), p(-0.26, -0.92), p(0.28, -0.92), p(0.42, -0.66)]),
                        RGBColour(red: 0.55, green: 0.7, blue: 0.85))
            sketch.fill(.box(x: -0.95, y: -0.66, width: 1.9, height: 0.46), colour)
            for x in [-0.55, 0.55] { sketch.fill(.circle(center: p(x, -0.2), radius: 0.2), dark) }
        case "house":
            sketch.fill(.box(x: -0.5, y: -0.62, width: 1.0, height: 0.62), colour)
            sketch.fill(.polygon([p(-0.55, -0.6), p(0, -1.0), p(0.55, -0.6)]), SyntheticPalette.colour("brown"))
            sketch.fill(.box(x: -0.1, y: -0.32, width: 0.2, height: 0.32), dark)
            sketch.fill(.box(x: 0.2, y: -0.5, width: 0.18, height: 0.16), RGBColour(red: 0.6, green: 0.75, blue: 0.9))
        case "tree":
            sketch.fill(.box(x: -0.07, y: -0.42, width: 0.14, height: 0.42), SyntheticPalette.colour("brown"))
            sketch.fill(.circle(center: p(0, -0.66), radius: 0.34), colour)
            sketch.fill(.circle(center: p(-0.16, -0.5), radius: 0.2), SyntheticPalette.mix(colour, dark, 0.15))
            sketch.fill(.circle(center: p(0.17, -0.52), radius: 0.18), SyntheticPalette.mix(colour, dark, 0.1))
        case "person":
            for side in [-1.0, 1.0] {
                sketch.line(p(side * 0.07, -0.44), p(side * 0.09, -0.02), SyntheticPalette.gray(0.2), width: 0.1)
                sketch.line(p(side * 0.15, -0.76), p(side * 0.2, -0.5), SyntheticPalette.colour("brown"), width: 0.07)
            }
            sketch.fill(.box(x: -0.15, y: -0.78, width: 0.3, height: 0.38), colour)
            sketch.fill(.circle(center: p(0, -0.88), radius: 0.11), RGBColour(red: 0.9, green: 0.72, blue: 0.58))
        case "ball":
            sketch.fill(.circle(center: p(0, -0.5), radius: 0.5), colour)
            sketch.fill(.segment(from: p(-0.45, -0.5), to: p(0.45, -0.5), thickness: 0.07), SyntheticPalette.mix(colour, dark, 0.5))
            sketch.fill(.circle(center: p(-0.16, -0.68), radius: 0.12), SyntheticPalette.gray(1), opacity: 0.5)
        case "kite":
            sketch.line(p(0, 0.5), p(0.12, 0.85), dark, width: 0.04)
            sketch.fill(.polygon([p(0, -0.5), p(0.4, -0.08), p(0, 0.5), p(-0.4, -0.08)]), colour)
            sketch.line(p(0, -0.5), p(0, 0.5), dark, width: 0.04)
            sketch.line(p(-0.4, -0.08), p(0.4, -0.08), dark, width: 0.04)
        default:  // dog
            for x in [-0.35, -0.2, 0.2, 0.35] { sketch.line(p(x, -0.5), p(x, -0.02), SyntheticPalette.mix(colour, dark, 0.3), width: 0.09) }
            sketch.line(p(-0.42, -0.55), p(-0.68, -0.8), colour, width: 0.08)
            sketch.fill(.ellipse(center: p(0, -0.52), radiusX: 0.45, radiusY: 0.2, rotation: 0), colour)
            sketch.fill(.circle(center: p(0.5, -0.76), radius: 0.19), colour)
            sketch.fill(.ellipse(center: p(0.44, -0.86), radiusX: 0.06, radiusY: 0.12, rotation: -0.4), SyntheticPalette.mix(colour, dark, 0.5))
            sketch.fill(.circle(center: p(0.58, -0.8), radius: 0.035), dark)
        }
        return sketch
    }

    /// One object of a scene.
    struct PlacedObject {
        var objectClass: String
        var colour: String
        var box: BoundingBox
        /// The drawn shapes in image coordinates (for checks that the box matches the pixels).
        var shapes: [SyntheticShape]
    }

    /// A scene: its image, objects left to right, ground and sky, and the VQA question it was drawn for.
    struct Scene {
        var image: Image
        var objects: [PlacedObject]
        var ground: String
        var sky: String
        var mainIndex: Int
        var vqa: (type: String, question: String, answer: String)
    }

    /// Draws scene number `sceneIndex`: first its VQA answer (uniformly), then objects that make it true.
    static func scene(sceneIndex: Int, size: Int, random: inout SyntheticRandom) -> Scene {
        let vqaType = vqaTypes[sceneIndex % vqaTypes.count]
        var count = random.integer(in: 2...4)
        var specs: [(objectClass: String, colour: String)] = []
        let ground = random.pick(grounds)
        let sky = random.pick(skies)
        var target = random.pick(classes)
        var side = "left"
        var numberAnswer = 1
        var colourAnswer = ""

        switch vqaType {
        case "color":
            colourAnswer = random.pick(colours(of: target))
            specs.append((target, colourAnswer))
        case "number":
            target = random.pick(["car", "tree", "person", "ball", "dog"])
            numberAnswer = random.integer(in: 1...3)
            count = max(count, numberAnswer)
            for colour in random.distinctIndices(numberAnswer, from: colours(of: target).count).map({ colours(of: target)[$0] }) {
                specs.append((target, colour))
            }
        case "object":
            side = random.pick(["left", "right"])
            specs.append((target, random.pick(colours(of: target))))
        default:  // location: "Where is the X?" about an object standing on the ground
            target = random.pick(classes.filter { $0 != "kite" })
            specs.append((target, random.pick(colours(of: target))))
        }
        // Fill up with other classes; objects of one class always differ in colour, so
        // "the <colour> <class>" names exactly one object.
        while specs.count < count {
            let objectClass = random.pick(classes.filter { $0 != target })
            let used = specs.filter { $0.objectClass == objectClass }.map(\.colour)
            let free = colours(of: objectClass).filter { !used.contains($0) }
            if !free.isEmpty { specs.append((objectClass, random.pick(free))) }
        }

        // Placement: the main object first (it must stay the largest), then the others, each at a
        // random spot whose box overlaps no placed box; an object that finds no free spot in 40
        // tries shrinks and tries again. For "What is on the left/right side?" the target is the
        // main object, placed near that edge, and every other object lies beyond it.
        let mainSpec = vqaType == "object" ? 0 : random.index(below: specs.count)
        var order = Array(specs.indices)
        random.shuffle(&order)
        order.removeAll { $0 == mainSpec }
        order.insert(mainSpec, at: 0)
        let horizon = random.uniform(0.35, 0.55)
        var placements: [(spec: Int, transform: SyntheticTransform, sketch: SyntheticSketch, box: BoundingBox)] = []
        // Boxes never overlap, and no object is wider than 0.6. On a crowded draw an object
        // shrinks (by 0.85 after every 40 failed tries); if even a small one finds no room, the
        // whole layout is drawn again, so the loop ends with probability one.
        layout: while true {
            placements = []
            var mainArea = 1.0
            for specIndex in order {
                let spec = specs[specIndex]
                let (base, aspect) = baseSize(spec.objectClass)
                let drawing = sketch(spec.objectClass, colour: spec.colour)
                var shrink = specIndex == mainSpec ? 1.3 : 1.0
                var placement: (transform: SyntheticTransform, box: BoundingBox)?
                for _ in 0..<12 where placement == nil {
                    for _ in 0..<40 {
                        var height: Double
                        let y: Double
                        if spec.objectClass == "kite" {
                            height = base * random.uniform(0.8, 1.2) * shrink
                            y = random.uniform(0.03 + height / 2, max(0.04 + height / 2, horizon - height / 2))
                        } else {
                            y = random.uniform(horizon + 0.1, 0.98)
                            height = min(base * (0.65 + 0.7 * (y - horizon) / (1 - horizon)) * random.uniform(0.9, 1.1) * shrink, y - 0.02)
                        }
                        let halfWidth = height * aspect / 2
                        guard halfWidth < 0.3 else { continue }
                        var x = random.uniform(halfWidth + 0.01, 1 - halfWidth - 0.01)
                        if vqaType == "object" && specIndex == mainSpec {
                            let edge = random.uniform(halfWidth + 0.01, halfWidth + 0.08)
                            x = side == "left" ? edge : 1 - edge
                        }
                        var transform = SyntheticTransform(scale: height, translation: SyntheticPoint(x, y))
                        var box = drawing.bounds(transform)
                        if specIndex != mainSpec, box.width * box.height > 0.55 * mainArea {
                            transform.scale *= (0.55 * mainArea / (box.width * box.height)).squareRoot()
                            box = drawing.bounds(transform)
                        }
                        let inside = box.x >= 0 && box.y >= 0 && box.x + box.width <= 1 && box.y + box.height <= 1
                        let free = placements.allSatisfy { other in  // at least 0.01 apart on one axis
                            box.x > other.box.x + other.box.width + 0.01 || other.box.x > box.x + box.width + 0.01
                                || box.y > other.box.y + other.box.height + 0.01 || other.box.y > box.y + box.height + 0.01
                        }
                        let beyondTarget = vqaType != "object" || specIndex == mainSpec || placements.isEmpty
                            || (side == "left" ? box.center.x > placements[0].box.center.x + 0.05
                                               : box.center.x < placements[0].box.center.x - 0.05)
                        if inside && free && beyondTarget {
                            placement = (transform, box)
                            break
                        }
                    }
                    shrink *= 0.85
                }
                guard let placed = placement else { continue layout }
                if specIndex == mainSpec { mainArea = placed.box.width * placed.box.height }
                placements.append((specIndex, placed.transform, drawing, placed.box))
            }
            break
        }
        let mainSlot = 0

        // Background.
        let skyColours: [String: (RGBColour, RGBColour)] = [
            "blue": (RGBColour(red: 0.42, green: 0.62, blue: 0.94), RGBColour(red: 0.78, green: 0.87, blue: 0.98)),
            "orange": (RGBColour(red: 0.93, green: 0.55, blue: 0.3), RGBColour(red: 0.98, green: 0.84, blue: 0.6)),
            "gray": (RGBColour(red: 0.58, green: 0.6, blue: 0.63), RGBColour(red: 0.8, green: 0.8, blue: 0.82)),
        ]
        let groundColours: [String: RGBColour] = [
            "grass": RGBColour(red: 0.3, green: 0.58, blue: 0.24),
            "sand": RGBColour(red: 0.86, green: 0.76, blue: 0.52),
            "snow": RGBColour(red: 0.92, green: 0.93, blue: 0.96),
        ]
        var canvas = SyntheticCanvas(size: size, background: SyntheticPalette.gray(0.5))
        let (skyTop, skyBottom) = skyColours[sky]!
        canvas.gradient(from: SyntheticPoint(0.5, 0), SyntheticPalette.jittered(skyTop, by: 0.04, random: &random),
                        to: SyntheticPoint(0.5, horizon), SyntheticPalette.jittered(skyBottom, by: 0.04, random: &random))
        canvas.addSoftNoise(amplitude: 0.08, cells: 4, random: &random, within: .box(x: 0, y: 0, width: 1, height: horizon))
        let groundShape = SyntheticShape.box(x: -0.1, y: horizon, width: 1.2, height: 1.2 - horizon)
        canvas.fill(groundShape, SyntheticPalette.jittered(groundColours[ground]!, by: 0.04, random: &random))
        canvas.addSoftNoise(amplitude: 0.1, cells: 8, random: &random, within: groundShape)

        // Objects (boxes never overlap, so drawing order does not matter), then listed left to right.
        var objects: [PlacedObject] = []
        for placement in placements {
            let box = placement.sketch.draw(on: &canvas, transform: placement.transform)
            objects.append(PlacedObject(objectClass: specs[placement.spec].objectClass, colour: specs[placement.spec].colour,
                                        box: box, shapes: placement.sketch.placedShapes(placement.transform)))
        }
        canvas.addGrain(amplitude: 0.025, random: &random)
        let main = objects[mainSlot]
        let placedObjects = objects.sorted { $0.box.center.x < $1.box.center.x }

        let question: String
        let answer: String
        switch vqaType {
        case "color":
            question = "What is the color of the \(target)?"
            answer = colourAnswer
        case "number":
            question = "How many \(plural(target)) are there?"
            answer = SyntheticText.numberWord(numberAnswer)
        case "object":
            question = "What is on the \(side) side of the picture?"
            answer = target
        default:
            question = "Where is the \(target)?"
            answer = ground
        }
        return Scene(image: canvas.image, objects: placedObjects, ground: ground, sky: sky,
                     mainIndex: placedObjects.firstIndex { $0.box == main.box }!,
                     vqa: (vqaType, question, answer))
    }

    static func article(_ word: String) -> String {
        ["a", "e", "i", "o", "u"].contains(word.prefix(1)) ? "an" : "a"
    }

    /// "A red car, two trees and a white ball on the grass under a blue sky."
    static func caption(_ scene: Scene) -> String {
        var groups: [(objectClass: String, colours: [String])] = []
        for object in scene.objects {
            if let index = groups.firstIndex(where: { $0.objectClass == object.objectClass }) {
                groups[index].colours.append(object.colour)
            } else {
                groups.append((object.objectClass, [object.colour]))
            }
        }
        let phrases = groups.map { group in
            guard group.colours.count == 1 else { return "\(SyntheticText.numberWord(group.colours.count)) \(plural(group.objectClass))" }
            let colour = group.colours[0]
            return group.objectClass == "person" ? "a person in \(colour)" : "\(article(colour)) \(colour) \(group.objectClass)"
        }
        let objects = "\(SyntheticText.list(phrases)) on the \(scene.ground)"
        let withSky = "\(objects) under \(article(scene.sky)) \(scene.sky) sky"
        // Captions stay within 20 words: the sky is left out of the longest ones.
        return SyntheticText.capitalised((withSky.split(separator: " ").count <= 20 ? withSky : objects) + ".")
    }

    /// The four samples of scene `sceneIndex`, in task order.
    static func samples(sceneIndex: Int, _ context: SyntheticSampleContext) -> [Sample] {
        var random = context.random(for: sceneIndex)
        let scene = scene(sceneIndex: sceneIndex, size: context.imageSize, random: &random)
        let imageID = context.identifier(sceneIndex)
        func attributes(_ extra: [String: String]) -> [String: String] {
            extra.merging(["image_id": imageID, "ground": scene.ground, "sky": scene.sky,
                           "object_count": String(scene.objects.count)]) { first, _ in first }
        }
        let main = scene.objects[scene.mainIndex]
        let mainBox = SyntheticText.boxList(main.box)

        // Grounding: one object named by class, and by colour when needed or at random.
        let target = scene.objects[random.index(below: scene.objects.count)]
        let unique = scene.objects.filter { $0.objectClass == target.objectClass }.count == 1
        let expression = unique && random.chance(0.5) ? "the \(target.objectClass)" : "the \(target.colour) \(target.objectClass)"
        let groundingQuestion = random.pick(["Locate \(expression) in the image.", "Where is \(expression)? Give its coordinates.",
                                             "Please output the box of \(expression)."])
        let captionPrompt = random.pick(["Describe the image briefly.", "Write a short caption for this picture."])
        let classificationQuestion = random.pick(["What is the main object in this image?", "Which object is the largest in the picture?"])

        return [
            Sample(id: context.identifier(sceneIndex, suffix: "vqa"), image: scene.image,
                   conversations: SyntheticText.conversation(question: scene.vqa.question, answer: SyntheticText.answer(scene.vqa.answer)),
                   task: .vqa, answerType: .open, category: TaskKind.vqa.rawValue,
                   attributes: attributes(["question_type": scene.vqa.type, SyntheticText.objectBoxAttribute: mainBox])),
            Sample(id: context.identifier(sceneIndex, suffix: "captioning"), image: scene.image,
                   conversations: SyntheticText.conversation(question: captionPrompt, answer: caption(scene)),
                   task: .captioning, category: TaskKind.captioning.rawValue,
                   attributes: attributes([SyntheticText.objectBoxAttribute: mainBox])),
            Sample(id: context.identifier(sceneIndex, suffix: "grounding"), image: scene.image,
                   conversations: SyntheticText.conversation(question: groundingQuestion, answer: SyntheticText.coordinates(target.box)),
                   task: .grounding, category: TaskKind.grounding.rawValue,
                   attributes: attributes(["object_class": target.objectClass, "object_colour": target.colour]),
                   boxes: [target.box]),
            Sample(id: context.identifier(sceneIndex, suffix: "classification"), image: scene.image,
                   conversations: SyntheticText.conversation(question: classificationQuestion, answer: SyntheticText.answer(main.objectClass)),
                   task: .classification, category: TaskKind.classification.rawValue,
                   attributes: attributes(["object_class": main.objectClass, SyntheticText.objectBoxAttribute: mainBox])),
        ]
    }

    /// Sample `index` = task `index % 4` of scene `index / 4` (generates the scene; the dataset
    /// generator calls `samples(sceneIndex:_:)` instead to draw each scene once).
    static func sample(_ context: SyntheticSampleContext) -> Sample {
        samples(sceneIndex: context.index / tasks.count, context)[context.index % tasks.count]
    }
}

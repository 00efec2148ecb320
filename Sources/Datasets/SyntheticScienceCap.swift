// Fed-ScienceCap stand-in: captions of science-diagram-like images in 27 categories (paper,
// section 3: ScienceQA image-description pairs, 27 categories with at least 100 samples,
// up to 27 clients by "category").
//
// The 27 categories come in nine families of three that share a layout and palette
// (beakers, magnets and circuits, charts, maps, cells, ecology, earth science, forces,
// night sky), so categories within a family are confusable. Each caption is composed from
// what was drawn: counts, colours, directions and positions, all chosen at random, so
// captions differ within a category and the image is needed to get them right.

import Foundation

/// The Fed-ScienceCap generator.
enum SyntheticScienceCap {
    /// The partition attribute's values (ScienceQA-like topic names), in client order.
    static let categories = [
        "solutions", "mixtures", "states of matter",
        "magnets", "magnetic force", "electric circuits",
        "bar graphs", "line graphs", "pie charts",
        "oceans and continents", "maps", "compass directions",
        "animal cells", "plant cells", "heredity",
        "food chains", "food webs", "plants",
        "weather and climate", "rocks and minerals", "earth events",
        "forces", "velocity", "heat",
        "solar system", "moon phases", "constellations",
    ]

    /// The nine families of three confusable categories (category `i` is in family `i / 3`).
    static let families = [
        "particles", "magnetism and electricity", "charts", "maps", "cells and heredity",
        "ecology", "earth science", "motion and heat", "night sky",
    ]

    static let prompts = [
        "Describe the image briefly.",
        "Write a short caption for this diagram.",
        "What does this science diagram show?",
    ]

    /// Colours that captions name.
    static let captionColours = ["red", "green", "blue", "yellow", "purple", "orange"]

    private static func p(_ x: Double, _ y: Double) -> SyntheticPoint { SyntheticPoint(x, y) }
    private static func colour(_ name: String) -> RGBColour { SyntheticPalette.colour(name) }
    private static let ink = SyntheticPalette.gray(0.15)
    private static let paper = RGBColour(red: 0.97, green: 0.96, blue: 0.92)

    /// `count` points in distinct cells of a `rows` x `columns` grid over the rectangle
    /// [x0, x1] x [y0, y1], jittered inside their cells: objects that never overlap.
    static func scatter(_ count: Int, rows: Int, columns: Int, x0: Double, y0: Double, x1: Double, y1: Double,
                        random: inout SyntheticRandom) -> [SyntheticPoint] {
        let cellWidth = (x1 - x0) / Double(columns), cellHeight = (y1 - y0) / Double(rows)
        return random.distinctIndices(count, from: rows * columns).map { cell in
            p(x0 + cellWidth * (Double(cell % columns) + 0.5 + random.uniform(-0.2, 0.2)),
              y0 + cellHeight * (Double(cell / columns) + 0.5 + random.uniform(-0.2, 0.2)))
        }
    }

    /// A straight arrow with a triangular head at `to`.
    static func arrow(_ sketch: inout SyntheticSketch, from: SyntheticPoint, to: SyntheticPoint, colour: RGBColour, width: Double = 0.03) {
        let dx = to.x - from.x, dy = to.y - from.y
        let length = max((dx * dx + dy * dy).squareRoot(), 1e-9)
        let ux = dx / length, uy = dy / length
        let head = min(0.09, length * 0.45)
        let base = p(to.x - ux * head, to.y - uy * head)
        sketch.line(from, base, colour, width: width)
        sketch.fill(.polygon([to, p(base.x - uy * head * 0.6, base.y + ux * head * 0.6),
                              p(base.x + uy * head * 0.6, base.y - ux * head * 0.6)]), colour)
    }

    /// A pie slice from angle `start` to `end` (radians, clockwise from the top).
    static func sector(center: SyntheticPoint, radius: Double, start: Double, end: Double) -> SyntheticShape {
        var points = [center]
        let steps = max(2, Int(((end - start) / 0.15).rounded(.up)))
        for step in 0...steps {
            let angle = start + (end - start) * Double(step) / Double(steps)
            points.append(p(center.x + radius * sin(angle), center.y - radius * cos(angle)))
        }
        return .polygon(points)
    }

    static func plural(_ count: Int, _ singular: String, _ pluralForm: String? = nil) -> String {
        "\(SyntheticText.numberWord(count)) \(count == 1 ? singular : (pluralForm ?? singular + "s"))"
    }

    static func beaker(_ sketch: inout SyntheticSketch, liquid: RGBColour?, level: Double) {
        if let liquid {
            sketch.fill(.box(x: -0.29, y: level, width: 0.58, height: 0.39 - level), SyntheticPalette.mix(liquid, SyntheticPalette.gray(1), 0.45))
        }
        for (from, to) in [(p(-0.3, -0.38), p(-0.3, 0.4)), (p(-0.3, 0.4), p(0.3, 0.4)), (p(0.3, 0.4), p(0.3, -0.38))] {
            sketch.line(from, to, SyntheticPalette.gray(0.35), width: 0.035)
        }
    }

    static func darkPanel(_ sketch: inout SyntheticSketch, _ colour: RGBColour = RGBColour(red: 0.06, green: 0.07, blue: 0.2)) {
        sketch.fill(.box(x: -0.5, y: -0.5, width: 1, height: 1), colour)
    }

    /// Draws category `category` in the frame [-0.5, 0.5]^2 and returns the drawing and its caption.
    static func diagram(_ category: Int, random: inout SyntheticRandom) -> (SyntheticSketch, String) {
        var s = SyntheticSketch()
        let caption: String
        switch categories[category] {
        case "solutions":
            let liquidName = random.pick(["blue", "green", "yellow", "purple"])
            let particleName = random.pick(captionColours.filter { $0 != liquidName })
            let count = random.integer(in: 2...6)
            let level = random.uniform(-0.2, 0.05)
            beaker(&s, liquid: colour(liquidName), level: level)
            for point in scatter(count, rows: 3, columns: 3, x0: -0.26, y0: level + 0.02, x1: 0.26, y1: 0.37, random: &random) {
                s.fill(.circle(center: point, radius: 0.045), colour(particleName))
            }
            caption = "A beaker of \(liquidName) liquid with \(plural(count, particleName + " particle"))."
        case "mixtures":
            let names = random.distinctIndices(2, from: captionColours.count).map { captionColours[$0] }
            let counts = [random.integer(in: 1...3), random.integer(in: 1...3)]
            let level = random.uniform(-0.2, 0.0)
            beaker(&s, liquid: SyntheticPalette.gray(0.85), level: level)
            let points = scatter(counts[0] + counts[1], rows: 3, columns: 3, x0: -0.26, y0: level + 0.02, x1: 0.26, y1: 0.37, random: &random)
            for (index, point) in points.enumerated() {
                s.fill(.circle(center: point, radius: 0.045), colour(names[index < counts[0] ? 0 : 1]))
            }
            caption = "A beaker with \(SyntheticText.numberWord(counts[0])) \(names[0]) and \(SyntheticText.numberWord(counts[1])) \(names[1]) particles."
        case "states of matter":
            let name = random.pick(captionColours)
            let count = random.pick([4, 6, 9])
            let solid = random.chance(0.5)
            s.stroke(.box(x: -0.36, y: -0.36, width: 0.72, height: 0.72), SyntheticPalette.gray(0.35), lineWidth: 0.035)
            if solid {
                let columns = count == 4 ? 2 : 3
                let rows = count / columns
                for row in 0..<rows {
                    for column in 0..<columns {
                        s.fill(.circle(center: p(0.13 * (Double(column) - Double(columns - 1) / 2),
                                                 0.2 + 0.13 * (Double(row) - Double(rows - 1))), radius: 0.062), colour(name))
                    }
                }
            } else {
                for point in scatter(count, rows: 4, columns: 4, x0: -0.32, y0: -0.32, x1: 0.32, y1: 0.32, random: &random) {
                    s.fill(.circle(center: point, radius: 0.045), colour(name))
                }
            }
            caption = "A box with \(plural(count, name + " particle")) arranged as a \(solid ? "solid" : "gas")."
        case "magnets":
            let vertical = random.chance(0.5)
            let attract = random.chance(0.5)
            let gap = random.uniform(0.04, 0.12)
            // Magnet A shows pole `a` on its inner end; B shows the opposite (attract) or the same (repel).
            let innerA = random.chance(0.5) ? "red" : "blue"
            let innerB = attract ? (innerA == "red" ? "blue" : "red") : innerA
            for (sign, inner) in [(-1.0, innerA), (1.0, innerB)] {
                let outer = inner == "red" ? "blue" : "red"
                let innerCentre = sign * (gap / 2 + 0.09), outerCentre = sign * (gap / 2 + 0.27)
                for (offset, name) in [(innerCentre, inner), (outerCentre, outer)] {
                    let centre = vertical ? p(0, offset) : p(offset, 0)
                    s.fill(.rectangle(center: centre, width: vertical ? 0.16 : 0.18, height: vertical ? 0.18 : 0.16, rotation: 0), colour(name))
                }
            }
            caption = "Two \(vertical ? "vertical" : "horizontal") bar magnets that \(attract ? "attract" : "repel") each other."
        case "magnetic force":
            let count = random.integer(in: 1...4)
            let left = random.chance(0.5)
            s.fill(.box(x: -0.3, y: -0.25, width: 0.3, height: 0.15), colour("red"))
            s.fill(.box(x: 0, y: -0.25, width: 0.3, height: 0.15), colour("blue"))
            let endX = left ? -0.26 : 0.26
            for clip in 0..<count {
                let x = endX + (left ? 1 : -1) * Double(clip % 2) * 0.07
                let y = -0.02 + Double(clip) * 0.1
                s.stroke(.rectangle(center: p(x, y), width: 0.05, height: 0.1, rotation: random.uniform(-0.4, 0.4)),
                         SyntheticPalette.gray(0.45), lineWidth: 0.022)
            }
            caption = "A bar magnet holding \(plural(count, "paper clip")) at its \(left ? "left" : "right") end."
        case "electric circuits":
            let count = random.integer(in: 1...3)
            let closed = random.chance(0.5)
            s.stroke(.box(x: -0.38, y: -0.3, width: 0.76, height: 0.6), ink, lineWidth: 0.025)
            s.fill(.box(x: -0.44, y: -0.1, width: 0.12, height: 0.2), SyntheticPalette.gray(0.2))
            s.fill(.box(x: -0.44, y: -0.1, width: 0.12, height: 0.07), colour("orange"))
            for bulb in 0..<count {
                let x = -0.2 + 0.4 * (Double(bulb) + 0.5) / Double(count)
                s.fill(.circle(center: p(x, -0.3), radius: 0.07), closed ? colour("yellow") : SyntheticPalette.gray(0.6))
                s.stroke(.circle(center: p(x, -0.3), radius: 0.07), ink, lineWidth: 0.015)
            }
            if !closed {
                s.fill(.box(x: -0.06, y: 0.27, width: 0.12, height: 0.06), paper)
                s.line(p(-0.06, 0.3), p(0.05, 0.2), ink, width: 0.025)
            }
            caption = "A circuit with one battery and \(plural(count, closed ? "lit bulb" : "dark bulb"))."
        case "bar graphs":
            let name = random.pick(captionColours)
            let count = random.integer(in: 2...5)
            let tallest = random.index(below: count)
            s.line(p(-0.4, -0.42), p(-0.4, 0.4), ink, width: 0.025)
            s.line(p(-0.4, 0.4), p(0.42, 0.4), ink, width: 0.025)
            let slot = 0.76 / Double(count)
            for bar in 0..<count {
                let height = bar == tallest ? 0.72 : random.uniform(0.15, 0.55)
                s.fill(.box(x: -0.36 + slot * Double(bar) + slot * 0.15, y: 0.39 - height, width: slot * 0.7, height: height), colour(name))
            }
            let position = tallest == 0 ? "left" : tallest == count - 1 ? "right" : "middle"
            caption = "A bar graph with \(plural(count, name + " bar")), the tallest on the \(position)."
        case "line graphs":
            let name = random.pick(captionColours)
            let rising = random.chance(0.5)
            s.line(p(-0.4, -0.42), p(-0.4, 0.4), ink, width: 0.025)
            s.line(p(-0.4, 0.4), p(0.42, 0.4), ink, width: 0.025)
            var previous: SyntheticPoint?
            for step in 0..<5 {
                let trend = Double(step) / 4
                let y = 0.3 - 0.6 * (rising ? trend : 1 - trend) + random.uniform(-0.06, 0.06)
                let point = p(-0.32 + 0.17 * Double(step), y)
                if let previous { s.line(previous, point, colour(name), width: 0.035) }
                s.fill(.circle(center: point, radius: 0.035), colour(name))
                previous = point
            }
            caption = "A \(name) line graph that goes \(rising ? "up" : "down") from left to right."
        case "pie charts":
            let count = random.integer(in: 2...5)
            let names = random.distinctIndices(count, from: captionColours.count).map { captionColours[$0] }
            var weights = (0..<count).map { _ in random.uniform(0.5, 1.0) }
            weights[0] += 0.6  // slice 0 is clearly the largest
            let total = weights.reduce(0, +)
            var angle = random.uniform(0, 2 * Double.pi)
            for (index, weight) in weights.enumerated() {
                let sweep = 2 * Double.pi * weight / total
                s.fill(sector(center: p(0, 0), radius: 0.4, start: angle, end: angle + sweep), colour(names[index]))
                angle += sweep
            }
            s.stroke(.circle(center: p(0, 0), radius: 0.4), ink, lineWidth: 0.02)
            caption = "A pie chart with \(SyntheticText.numberWord(count)) slices, the largest one is \(names[0])."
        case "oceans and continents":
            let landName = random.pick(["green", "brown"])
            let count = random.integer(in: 2...5)
            darkPanel(&s, RGBColour(red: 0.25, green: 0.5, blue: 0.85))
            for point in scatter(count, rows: 3, columns: 3, x0: -0.42, y0: -0.42, x1: 0.42, y1: 0.42, random: &random) {
                for _ in 0..<3 {
                    s.fill(.ellipse(center: p(point.x + random.uniform(-0.04, 0.04), point.y + random.uniform(-0.04, 0.04)),
                                    radiusX: random.uniform(0.04, 0.08), radiusY: random.uniform(0.03, 0.07),
                                    rotation: random.uniform(0, 3)), colour(landName))
                }
            }
            caption = "A world map with \(SyntheticText.numberWord(count)) \(landName) continents in a blue ocean."
        case "maps":
            let positions = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"]
            let highlighted = random.index(below: 9)
            let name = random.pick(captionColours)
            for cell in 0..<9 {
                let shape = SyntheticShape.box(x: -0.42 + 0.28 * Double(cell % 3), y: -0.42 + 0.28 * Double(cell / 3), width: 0.28, height: 0.28)
                s.fill(shape, cell == highlighted ? colour(name) : RGBColour(red: 0.9, green: 0.87, blue: 0.75))
                s.stroke(shape, SyntheticPalette.gray(0.3), lineWidth: 0.02)
            }
            caption = "A map of nine regions with the \(positions[highlighted]) region in \(name)."
        case "compass directions":
            let directions = ["north", "east", "south", "west"]
            let direction = random.index(below: 4)
            let name = random.pick(captionColours)
            s.stroke(.circle(center: p(0, 0), radius: 0.42), ink, lineWidth: 0.025)
            s.line(p(0, -0.4), p(0, 0.4), SyntheticPalette.gray(0.6), width: 0.015)
            s.line(p(-0.4, 0), p(0.4, 0), SyntheticPalette.gray(0.6), width: 0.015)
            let angle = Double(direction) * Double.pi / 2
            arrow(&s, from: p(0, 0), to: p(0.36 * sin(angle), -0.36 * cos(angle)), colour: colour(name), width: 0.05)
            caption = "A compass with a \(name) arrow pointing \(directions[direction])."
        case "animal cells":
            let name = random.pick(captionColours.filter { $0 != "purple" })
            let count = random.integer(in: 2...6)
            s.fill(.ellipse(center: p(0, 0), radiusX: 0.44, radiusY: 0.36, rotation: 0), RGBColour(red: 0.97, green: 0.8, blue: 0.8))
            s.stroke(.ellipse(center: p(0, 0), radiusX: 0.44, radiusY: 0.36, rotation: 0), SyntheticPalette.gray(0.4), lineWidth: 0.02)
            let spots = scatter(count + 1, rows: 3, columns: 3, x0: -0.3, y0: -0.24, x1: 0.3, y1: 0.24, random: &random)
            s.fill(.circle(center: spots[0], radius: 0.09), colour("purple"))
            for spot in spots.dropFirst() {
                s.fill(.ellipse(center: spot, radiusX: 0.06, radiusY: 0.035, rotation: random.uniform(0, 3)), colour(name))
            }
            caption = "An animal cell with a nucleus and \(plural(count, name + " organelle"))."
        case "plant cells":
            let count = random.integer(in: 2...6)
            s.fill(.box(x: -0.42, y: -0.34, width: 0.84, height: 0.68), RGBColour(red: 0.85, green: 0.95, blue: 0.8))
            s.stroke(.box(x: -0.42, y: -0.34, width: 0.84, height: 0.68), colour("green"), lineWidth: 0.06)
            s.fill(.box(x: -0.1, y: -0.2, width: 0.3, height: 0.4), RGBColour(red: 0.75, green: 0.85, blue: 0.97))
            s.fill(.circle(center: p(-0.26, -0.16), radius: 0.07), colour("purple"))
            let spots = scatter(count, rows: 2, columns: 4, x0: -0.36, y0: -0.28, x1: 0.36, y1: 0.28, random: &random)
            for spot in spots {
                s.fill(.ellipse(center: spot, radiusX: 0.055, radiusY: 0.035, rotation: random.uniform(0, 3)), SyntheticPalette.mix(colour("green"), ink, 0.25))
            }
            caption = "A plant cell with a thick wall and \(plural(count, "green chloroplast"))."
        case "heredity":
            let name = random.pick(captionColours)
            let count = random.integer(in: 1...4)
            let filled = Set(random.distinctIndices(count, from: 4))
            for cell in 0..<4 {
                let shape = SyntheticShape.box(x: -0.36 + 0.36 * Double(cell % 2), y: -0.36 + 0.36 * Double(cell / 2), width: 0.36, height: 0.36)
                s.fill(shape, filled.contains(cell) ? colour(name) : SyntheticPalette.gray(1))
                s.stroke(shape, ink, lineWidth: 0.025)
            }
            caption = "A Punnett square with \(SyntheticText.numberWord(count)) of four boxes in \(name)."
        case "food chains":
            let count = random.integer(in: 3...5)
            let rightward = random.chance(0.5)
            let names = ["green", "yellow", "orange", "red", "purple"]
            let step = 0.8 / Double(count - 1)
            let y = random.uniform(-0.15, 0.15)
            for index in 0..<count {
                let x = -0.4 + step * Double(index)
                s.fill(.circle(center: p(x, y), radius: min(0.08, step * 0.3)), colour(names[index]))
                if index + 1 < count {
                    let a = p(x + step * 0.3, y), b = p(x + step * 0.7, y)
                    arrow(&s, from: rightward ? a : b, to: rightward ? b : a, colour: ink, width: 0.02)
                }
            }
            caption = "A food chain of \(SyntheticText.numberWord(count)) organisms with arrows pointing \(rightward ? "right" : "left")."
        case "food webs":
            let count = random.integer(in: 3...6)
            let inward = random.chance(0.5)
            s.fill(.circle(center: p(0, 0), radius: 0.09), colour("green"))
            let offset = random.uniform(0, 2 * Double.pi)
            for index in 0..<count {
                let angle = offset + 2 * Double.pi * Double(index) / Double(count)
                let outer = p(0.36 * cos(angle), 0.36 * sin(angle))
                s.fill(.circle(center: outer, radius: 0.07), colour("orange"))
                let near = p(0.14 * cos(angle), 0.14 * sin(angle)), far = p(0.27 * cos(angle), 0.27 * sin(angle))
                arrow(&s, from: inward ? far : near, to: inward ? near : far, colour: ink, width: 0.02)
            }
            caption = "A food web of \(SyntheticText.numberWord(count + 1)) organisms with arrows pointing \(inward ? "inward" : "outward")."
        case "plants":
            let name = random.pick(captionColours.filter { $0 != "green" })
            let count = random.integer(in: 2...6)
            s.fill(.polygon([p(-0.16, 0.22), p(0.16, 0.22), p(0.12, 0.45), p(-0.12, 0.45)]), SyntheticPalette.colour("brown"))
            s.line(p(0, 0.22), p(0, -0.3), SyntheticPalette.mix(colour("green"), ink, 0.3), width: 0.03)
            for leaf in 0..<count {
                let side = leaf % 2 == 0 ? -1.0 : 1.0
                let y = 0.15 - 0.4 * Double(leaf) / Double(count)
                s.fill(.ellipse(center: p(side * 0.09, y), radiusX: 0.08, radiusY: 0.035, rotation: side * 0.5), colour("green"))
            }
            for petal in 0..<5 {
                let angle = 2 * Double.pi * Double(petal) / 5
                s.fill(.circle(center: p(0.07 * sin(angle), -0.36 - 0.07 * cos(angle)), radius: 0.055), colour(name))
            }
            s.fill(.circle(center: p(0, -0.36), radius: 0.04), name == "yellow" ? colour("orange") : colour("yellow"))
            caption = "A potted plant with \(plural(count, "leaf", "leaves")) and a \(name) flower."
        case "weather and climate":
            let sunny = random.chance(0.5)
            let count = random.integer(in: 1...4)
            darkPanel(&s, sunny ? RGBColour(red: 0.55, green: 0.75, blue: 0.97) : SyntheticPalette.gray(0.62))
            if sunny { s.fill(.circle(center: p(0.3, -0.3), radius: 0.12), colour("yellow")) }
            let cloudColour = sunny ? SyntheticPalette.gray(0.98) : SyntheticPalette.gray(0.35)
            for centre in scatter(count, rows: 2, columns: 2, x0: -0.4, y0: -0.35, x1: 0.3, y1: 0.15, random: &random) {
                for dx in [-0.07, 0.0, 0.07] {
                    s.fill(.circle(center: p(centre.x + dx, centre.y - (dx == 0 ? 0.03 : 0)), radius: 0.06), cloudColour)
                }
                if !sunny {
                    for dx in [-0.06, 0.0, 0.06] {
                        s.line(p(centre.x + dx, centre.y + 0.08), p(centre.x + dx - 0.03, centre.y + 0.18), colour("blue"), width: 0.018)
                    }
                }
            }
            caption = "A \(sunny ? "sunny" : "rainy") sky with \(plural(count, "cloud"))."
        case "rocks and minerals":
            let names = ["red", "yellow", "gray", "brown", "orange"]
            let count = random.integer(in: 2...5)
            var layers: [String] = []
            for _ in 0..<count { layers.append(random.pick(names.filter { $0 != layers.last })) }
            let height = 0.7 / Double(count)
            for (index, name) in layers.enumerated() {
                s.fill(.box(x: -0.4, y: -0.35 + height * Double(index), width: 0.8, height: height), SyntheticPalette.colour(name))
            }
            s.stroke(.box(x: -0.4, y: -0.35, width: 0.8, height: 0.7), ink, lineWidth: 0.02)
            caption = "A rock with \(plural(count, "layer")) and a \(layers[0]) layer on top."
        case "earth events":
            let erupting = random.chance(0.5)
            let count = random.integer(in: 1...4)
            s.fill(.polygon([p(-0.32, 0.35), p(-0.06, -0.2), p(0.06, -0.2), p(0.32, 0.35)]), SyntheticPalette.colour("brown"))
            if erupting {
                s.fill(.polygon([p(-0.06, -0.2), p(-0.16, -0.45), p(0, -0.36), p(0.16, -0.45), p(0.06, -0.2)]), colour("red"))
                s.line(p(0.02, -0.2), p(0.12, 0.05), colour("orange"), width: 0.04)
            } else {
                s.fill(.circle(center: p(0.02, -0.3), radius: 0.05), SyntheticPalette.gray(0.7), opacity: 0.7)
            }
            for tree in 0..<count {
                let x = (tree % 2 == 0 ? -1.0 : 1.0) * (0.38 - 0.06 * Double(tree / 2))
                let y = 0.42 - 0.1 * Double(tree / 2)
                s.line(p(x, y), p(x, y - 0.06), SyntheticPalette.colour("brown"), width: 0.025)
                s.fill(.polygon([p(x - 0.05, y - 0.05), p(x, y - 0.17), p(x + 0.05, y - 0.05)]), colour("green"))
            }
            caption = "\(erupting ? "An erupting" : "A quiet") volcano with \(plural(count, "tree")) nearby."
        case "forces":
            let name = random.pick(captionColours)
            let count = random.integer(in: 1...3)
            let rightward = random.chance(0.5)
            s.line(p(-0.45, 0.2), p(0.45, 0.2), ink, width: 0.025)
            s.fill(.box(x: -0.13, y: -0.08, width: 0.26, height: 0.27), colour(name))
            for index in 0..<count {
                let y = 0.05 + 0.09 * (Double(index) - Double(count - 1) / 2)
                if rightward {
                    arrow(&s, from: p(-0.44, y), to: p(-0.16, y), colour: ink, width: 0.025)
                } else {
                    arrow(&s, from: p(0.44, y), to: p(0.16, y), colour: ink, width: 0.025)
                }
            }
            caption = "A \(name) box pushed to the \(rightward ? "right" : "left") by \(plural(count, "arrow"))."
        case "velocity":
            let name = random.pick(captionColours)
            let directions = ["right", "down", "left", "up"]
            let direction = random.index(below: 4)
            let angle = Double(direction) * Double.pi / 2
            let ux = cos(angle), uy = sin(angle)
            let centre = p(0.18 * ux, 0.18 * uy)
            s.fill(.circle(center: centre, radius: 0.13), colour(name))
            for offset in [-0.07, 0.0, 0.07] {
                let start = p(centre.x - ux * 0.18 - uy * offset, centre.y - uy * 0.18 + ux * offset)
                s.line(start, p(start.x - ux * 0.22, start.y - uy * 0.22), SyntheticPalette.gray(0.45), width: 0.02)
            }
            caption = "A \(name) ball moving \(directions[direction]) with speed lines."
        case "heat":
            let name = random.pick(["red", "blue"])
            let high = random.chance(0.5)
            let level = high ? random.uniform(0.55, 0.8) : random.uniform(0.08, 0.3)
            s.stroke(.box(x: -0.06, y: -0.42, width: 0.12, height: 0.66), ink, lineWidth: 0.025)
            s.fill(.circle(center: p(0, 0.3), radius: 0.11), colour(name))
            s.fill(.box(x: -0.035, y: 0.24 - 0.66 * level, width: 0.07, height: 0.66 * level), colour(name))
            for tick in 0..<5 { s.line(p(0.08, -0.35 + 0.13 * Double(tick)), p(0.16, -0.35 + 0.13 * Double(tick)), ink, width: 0.015) }
            caption = "A thermometer with \(name) liquid at a \(high ? "high" : "low") level."
        case "solar system":
            let count = random.integer(in: 2...5)
            darkPanel(&s)
            s.fill(.circle(center: p(0, 0), radius: 0.09), colour("yellow"))
            for planet in 0..<count {
                let radius = 0.15 + 0.3 * Double(planet) / Double(max(count - 1, 1))
                s.stroke(.circle(center: p(0, 0), radius: radius), SyntheticPalette.gray(0.5), lineWidth: 0.012)
                let angle = random.uniform(0, 2 * Double.pi)
                s.fill(.circle(center: p(radius * cos(angle), radius * sin(angle)), radius: 0.035),
                       colour(random.pick(["red", "blue", "orange", "green"])))
            }
            caption = "A sun with \(plural(count, "planet")) on their orbits."
        case "moon phases":
            let phases = ["full", "half", "crescent", "new"]
            let phase = random.index(below: 4)
            let count = random.integer(in: 2...5)
            darkPanel(&s)
            for star in scatter(count, rows: 3, columns: 3, x0: -0.45, y0: -0.45, x1: 0.45, y1: 0.45, random: &random) {
                s.fill(.circle(center: p(star.x * 0.95, star.y * 0.95), radius: 0.02), SyntheticPalette.gray(1))
            }
            let lit = RGBColour(red: 0.98, green: 0.95, blue: 0.75), shadow = RGBColour(red: 0.12, green: 0.13, blue: 0.25)
            let side = random.chance(0.5) ? 1.0 : -1.0
            switch phases[phase] {
            case "full": s.fill(.circle(center: p(0, 0), radius: 0.22), lit)
            case "half":
                s.fill(.circle(center: p(0, 0), radius: 0.22), shadow)
                s.fill(sector(center: p(0, 0), radius: 0.22, start: side > 0 ? 0 : Double.pi, end: side > 0 ? Double.pi : 2 * Double.pi), lit)
            case "crescent":
                s.fill(.circle(center: p(0, 0), radius: 0.22), lit)
                s.fill(.circle(center: p(side * 0.1, 0), radius: 0.2), shadow)
            default:
                s.fill(.circle(center: p(0, 0), radius: 0.22), shadow)
                s.stroke(.circle(center: p(0, 0), radius: 0.22), SyntheticPalette.gray(0.55), lineWidth: 0.012)
            }
            caption = "The moon in its \(phases[phase]) phase with \(plural(count, "star"))."
        default:  // constellations
            let name = random.pick(["white", "yellow"])
            let count = random.integer(in: 3...6)
            darkPanel(&s)
            let stars = scatter(count, rows: 3, columns: 3, x0: -0.42, y0: -0.42, x1: 0.42, y1: 0.42, random: &random)
            for (a, b) in zip(stars, stars.dropFirst()) { s.line(a, b, SyntheticPalette.gray(0.55), width: 0.012) }
            for star in stars { s.fill(.circle(center: star, radius: 0.04), colour(name)) }
            caption = "A constellation of \(plural(count, name + " star")) joined by lines."
        }
        return (s, caption)
    }

    static func sample(_ context: SyntheticSampleContext) -> Sample {
        var random = context.random(for: context.index)
        let category = context.index % categories.count
        var canvas = SyntheticCanvas(size: context.imageSize,
                                     background: SyntheticPalette.jittered(paper, by: 0.03, random: &random))
        canvas.addSoftNoise(amplitude: 0.03, cells: 5, random: &random)
        let (sketch, caption) = diagram(category, random: &random)
        let scale = random.uniform(0.72, 0.95)
        let slack = (1 - scale) / 2
        let transform = SyntheticTransform(scale: scale, translation: SyntheticPoint(0.5 + random.uniform(-slack, slack),
                                                                                    0.5 + random.uniform(-slack, slack)))
        let box = sketch.draw(on: &canvas, transform: transform)
        canvas.addGrain(amplitude: 0.02, random: &random)
        return Sample(
            id: context.identifier(),
            image: canvas.image,
            conversations: SyntheticText.conversation(question: random.pick(prompts), answer: caption),
            task: .captioning,
            category: categories[category],
            attributes: ["family": families[category / 3], SyntheticText.objectBoxAttribute: SyntheticText.boxList(box)])
    }
}

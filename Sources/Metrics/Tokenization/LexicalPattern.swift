// A small longest-match pattern engine, just enough to reproduce the scanning
// semantics of a JFlex lexer (the Stanford PTBLexer that pycocoevalcap runs):
//
// - input is a sequence of UTF-16 code units, as Java sees a String;
// - literal text matches ASCII letters without regard to case (JFlex `%caseless`),
//   while character classes match exactly as written (JFlex does not expand
//   case inside classes);
// - the named classes letter / digit / uppercase mean Java's
//   `Character.isLetter`, `isDigit` and `isUpperCase` on a single UTF-16 unit, so
//   surrogate halves belong to none of them;
// - a pattern reports every length at which it accepts, so that a rule with
//   trailing context (`r1/r2`) can be measured the way JFlex measures it.
//
// Patterns are compiled once to a Thompson NFA; scanning runs a DFA built lazily
// from it (`LazyDFA`), so matching never backtracks and costs one table lookup
// per character once a transition has been seen.

/// Java's view of one UTF-16 unit: letter, digit, upper case (bit flags).
enum JavaCharacterCategories {
    static let letter: UInt8 = 1
    static let digit: UInt8 = 2
    static let uppercase: UInt8 = 4

    /// The flags of one code unit. Computed on demand: the lazy automata ask only
    /// when they meet a new transition, which is rare.
    static func flags(of unit: UInt16) -> UInt8 {
        // Surrogate halves are not scalars; Java puts them in no class.
        guard let scalar = Unicode.Scalar(UInt32(unit)) else { return 0 }
        var flags: UInt8 = 0
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            flags |= letter
        case .decimalNumber:
            flags |= digit
        default:
            break
        }
        // Java's isUpperCase: general category Lu or the Other_Uppercase property,
        // which is Unicode's derived Uppercase property.
        if scalar.properties.isUppercase { flags |= uppercase }
        return flags
    }
}

/// A set of UTF-16 code units described like a JFlex character class.
struct UnitSet: Sendable {
    var ranges: [ClosedRange<UInt16>] = []
    /// Bit flags from `JavaCharacterCategories` that also belong to the set.
    var categories: UInt8 = 0
    var inverted = false

    /// The units of `text`, each on its own.
    init(_ text: String) {
        ranges = text.utf16.map { $0...$0 }
    }

    init(ranges: [ClosedRange<UInt16>] = [], categories: UInt8 = 0, inverted: Bool = false) {
        self.ranges = ranges
        self.categories = categories
        self.inverted = inverted
    }

    static let any = UnitSet(inverted: true)
    static let javaLetter = UnitSet(categories: JavaCharacterCategories.letter)
    static let javaDigit = UnitSet(categories: JavaCharacterCategories.digit)
    static let javaUppercase = UnitSet(categories: JavaCharacterCategories.uppercase)

    func union(_ other: UnitSet) -> UnitSet {
        precondition(!inverted && !other.inverted, "UnitSet.union is only defined for plain sets")
        return UnitSet(ranges: ranges + other.ranges, categories: categories | other.categories)
    }

    /// The complement, as JFlex's `[^...]`.
    var complement: UnitSet {
        UnitSet(ranges: ranges, categories: categories, inverted: !inverted)
    }

    func contains(_ unit: UInt16) -> Bool {
        var member = categories != 0 && categories & JavaCharacterCategories.flags(of: unit) != 0
        if !member {
            for range in ranges where range.contains(unit) {
                member = true
                break
            }
        }
        return member != inverted
    }
}

/// A regular pattern over UTF-16 units.
indirect enum LexicalPattern: Sendable {
    /// Literal text; ASCII letters match either case (JFlex `%caseless`).
    case literal(String)
    /// One unit from a set, matched exactly as written.
    case unit(UnitSet)
    case sequence([LexicalPattern])
    case choice([LexicalPattern])
    /// `minimum` to `maximum` repetitions; `maximum == nil` is unbounded.
    case repetition(LexicalPattern, minimum: Int, maximum: Int?)

    var zeroOrMore: LexicalPattern { .repetition(self, minimum: 0, maximum: nil) }
    var oneOrMore: LexicalPattern { .repetition(self, minimum: 1, maximum: nil) }
    var optional: LexicalPattern { .repetition(self, minimum: 0, maximum: 1) }
    func repeated(_ minimum: Int, _ maximum: Int) -> LexicalPattern {
        .repetition(self, minimum: minimum, maximum: maximum)
    }
}

/// Shorthands used by the rule tables.
func lit(_ text: String) -> LexicalPattern { .literal(text) }
func seq(_ parts: LexicalPattern...) -> LexicalPattern { .sequence(parts) }
func alt(_ parts: LexicalPattern...) -> LexicalPattern { .choice(parts) }
func alt(literals: [String]) -> LexicalPattern { .choice(literals.map { .literal($0) }) }
/// Exactly one of the units in `text` (case-sensitive, like a JFlex class).
func oneOf(_ text: String) -> LexicalPattern { .unit(UnitSet(text)) }
/// Any unit not in `text`.
func noneOf(_ text: String) -> LexicalPattern { .unit(UnitSet(text).complement) }
func units(_ set: UnitSet) -> LexicalPattern { .unit(set) }

/// A compiled pattern: a Thompson NFA with one start and one accepting state.
struct CompiledPattern: Sendable {
    fileprivate enum Label: Sendable {
        case epsilon
        /// One unit; `alternate` is the other case of an ASCII letter, or the same unit.
        case unit(UInt16, alternate: UInt16)
        case set(Int)
    }
    fileprivate struct Edge: Sendable {
        var label: Label
        var target: Int
    }

    private var edges: [[Edge]] = []
    private var sets: [UnitSet] = []
    private var accepting = 0
    private var startClosure: [Int] = []

    init(_ pattern: LexicalPattern) {
        let start = newState()
        let end = build(pattern, from: start)
        accepting = end
        startClosure = closure(of: [start])
    }

    var stateCount: Int { edges.count }

    private mutating func newState() -> Int {
        edges.append([])
        return edges.count - 1
    }

    private mutating func connect(_ from: Int, _ to: Int, _ label: Label) {
        edges[from].append(Edge(label: label, target: to))
    }

    /// Adds the states for `pattern` after `from`; returns the state reached at its end.
    private mutating func build(_ pattern: LexicalPattern, from: Int) -> Int {
        switch pattern {
        case .literal(let text):
            var current = from
            for unit in text.utf16 {
                let next = newState()
                connect(current, next, .unit(unit, alternate: Self.otherCase(unit)))
                current = next
            }
            return current
        case .unit(let set):
            sets.append(set)
            let next = newState()
            connect(from, next, .set(sets.count - 1))
            return next
        case .sequence(let parts):
            var current = from
            for part in parts { current = build(part, from: current) }
            return current
        case .choice(let options):
            let join = newState()
            for option in options {
                let entry = newState()
                connect(from, entry, .epsilon)
                let exit = build(option, from: entry)
                connect(exit, join, .epsilon)
            }
            return join
        case .repetition(let inner, let minimum, let maximum):
            var current = from
            for _ in 0..<minimum { current = build(inner, from: current) }
            if let maximum {
                // Each optional copy may be skipped straight to the end.
                let join = newState()
                connect(current, join, .epsilon)
                for _ in minimum..<maximum {
                    let next = build(inner, from: current)
                    connect(next, join, .epsilon)
                    current = next
                }
                return join
            }
            // Unbounded tail: a loop through one more copy.
            let loopStart = newState()
            connect(current, loopStart, .epsilon)
            let loopEnd = build(inner, from: loopStart)
            connect(loopEnd, loopStart, .epsilon)
            return loopStart
        }
    }

    private static func otherCase(_ unit: UInt16) -> UInt16 {
        switch unit {
        case 0x41...0x5A: return unit + 0x20
        case 0x61...0x7A: return unit - 0x20
        default: return unit
        }
    }

    private func closure(of seeds: [Int]) -> [Int] {
        var seen = [Bool](repeating: false, count: edges.count)
        var result: [Int] = []
        var stack = seeds
        while let state = stack.popLast() {
            if seen[state] { continue }
            seen[state] = true
            result.append(state)
            for edge in edges[state] {
                if case .epsilon = edge.label, !seen[edge.target] { stack.append(edge.target) }
            }
        }
        return result
    }

    /// The sorted start state set (start state and its epsilon closure).
    var startSet: [Int] { startClosure.sorted() }

    /// Whether a state set contains the accepting state.
    func accepts(_ set: [Int]) -> Bool { set.contains(accepting) }

    /// The sorted set of states reached from `set` by reading `unit` (closure included).
    func step(_ set: [Int], on unit: UInt16) -> [Int] {
        var reached = Set<Int>()
        var stack: [Int] = []
        for state in set {
            for edge in edges[state] {
                let moves: Bool
                switch edge.label {
                case .epsilon: moves = false
                case .unit(let expected, let alternate): moves = unit == expected || unit == alternate
                case .set(let index): moves = sets[index].contains(unit)
                }
                if moves && reached.insert(edge.target).inserted { stack.append(edge.target) }
            }
        }
        while let state = stack.popLast() {
            for edge in edges[state] {
                if case .epsilon = edge.label, reached.insert(edge.target).inserted { stack.append(edge.target) }
            }
        }
        return reached.sorted()
    }

    /// Whether any transition out of the start closure accepts `unit`.
    func canStart(with unit: UInt16) -> Bool {
        for state in startClosure {
            for edge in edges[state] {
                switch edge.label {
                case .epsilon: continue
                case .unit(let expected, let alternate):
                    if unit == expected || unit == alternate { return true }
                case .set(let index):
                    if sets[index].contains(unit) { return true }
                }
            }
        }
        return false
    }
}

/// A deterministic automaton built lazily from a `CompiledPattern`: each NFA
/// state set met while scanning becomes one DFA state, and each transition is
/// computed once. One instance serves one tokenizer call, so its cache grows
/// only with the text actually scanned.
struct LazyDFA {
    let pattern: CompiledPattern
    private var stateSets: [[Int]] = []
    private var accepting: [Bool] = []
    private var identifiers: [[Int]: Int] = [:]
    /// Per DFA state, unit -> next DFA state (-1 when no NFA state survives).
    private var transitions: [[UInt16: Int]] = []

    init(_ pattern: CompiledPattern) {
        self.pattern = pattern
        _ = intern(pattern.startSet)
    }

    private mutating func intern(_ set: [Int]) -> Int {
        if set.isEmpty { return -1 }
        if let existing = identifiers[set] { return existing }
        stateSets.append(set)
        accepting.append(pattern.accepts(set))
        transitions.append([:])
        identifiers[set] = stateSets.count - 1
        return stateSets.count - 1
    }

    /// Calls `accept` with every length at which the pattern matches from `start`, in increasing order.
    mutating func scan(_ input: [UInt16], from start: Int, accept: (Int) -> Void) {
        var state = 0
        if accepting[state] { accept(0) }
        var position = start
        while position < input.count {
            let unit = input[position]
            let next: Int
            if let known = transitions[state][unit] {
                next = known
            } else {
                next = intern(pattern.step(stateSets[state], on: unit))
                transitions[state][unit] = next
            }
            if next < 0 { return }
            state = next
            position += 1
            if accepting[state] { accept(position - start) }
        }
    }

    /// Every match length from `start`, in increasing order.
    mutating func matchLengths(in input: [UInt16], from start: Int) -> [Int] {
        var lengths: [Int] = []
        scan(input, from: start) { lengths.append($0) }
        return lengths
    }

    /// The longest match length from `start`, or nil.
    mutating func longestMatch(in input: [UInt16], from start: Int) -> Int? {
        var longest: Int?
        scan(input, from: start) { longest = $0 }
        return longest
    }
}

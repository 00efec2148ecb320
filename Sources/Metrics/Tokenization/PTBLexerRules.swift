// Token classes and rules of a Penn-Treebank-style English lexer whose scanning
// behaviour reproduces Stanford CoreNLP's PTBLexer as shipped in
// stanford-corenlp-3.4.1.jar, the jar that pycocoevalcap's PTBTokenizer runs
// (`java -cp stanford-corenlp-3.4.1.jar edu.stanford.nlp.process.PTBTokenizer
// -preserveLines -lowerCase`). With those flags the lexer runs with its default
// options: PTB3 escaping (brackets to -LRB- etc., LaTeX-style quotes, "..."
// ellipses, "--" dashes, currency and fraction normalisation), no Americanisation,
// assimilations split ("gonna" -> "gon" "na"), untokenizable characters deleted,
// and newlines returned as line breaks.
//
// The rules below are listed in the lexer's priority order. Scanning takes, at
// each position, the rule with the longest match (trailing context counts toward
// the length, as in JFlex); ties go to the earlier rule. Names follow the token
// classes they describe (words, numbers, abbreviations, URLs, quotes, ...).

/// What a matched rule does with its text.
enum LexerAction: Sendable {
    /// Emit the matched text unchanged.
    case emit
    /// Emit the text with soft hyphens (U+00AD) removed.
    case emitWithoutSoftHyphens
    /// Emit the text with spaces turned into no-break spaces (fractions, SGML tags).
    case emitWithNoBreakSpaces
    /// Phone numbers: no-break spaces and bracket escapes.
    case emitPhoneNumber
    /// Emit the first `count` units and rescan the rest ("cannot" -> "can" + "not").
    case emitPrefix(count: Int)
    /// Emit a fixed replacement (e.g. "-LRB-" for "(").
    case emitReplacement(String)
    /// `&amp;` becomes `&`.
    case emitNormalizingAmpersand
    /// Cents, pound and euro-like signs become "cents", "#", "$".
    case emitNormalizingCurrency
    /// Vulgar-fraction characters become "1/2" etc.
    case emitNormalizingFraction
    /// Quotes become LaTeX-style quotes; `probablyLeft` decides ` vs '.
    case emitQuote(probablyLeft: Bool)
    /// Abbreviation at a sentence end: emit it whole, then rescan its final period.
    case emitRepeatingFinalPeriod
    /// Acronym before a likely sentence start: "U.S." gives "U.S." + "."; "I." gives "I" + ".".
    case emitAcronymAtSentenceEnd
    /// Runs of 3 or 4 hyphens become "--".
    case emitHyphens
    /// Emoticons: brackets escaped as in words.
    case emitEmoticon
    /// Whitespace and ignorable characters: nothing.
    case skip
    /// A line break: ends the current line of tokens.
    case lineBreak
}

/// One lexer rule: a pattern, optional trailing context, and what to do on a match.
struct LexerRule: Sendable {
    let pattern: CompiledPattern
    let trailingContext: CompiledPattern?
    let action: LexerAction
    /// A code unit every match contains; the rule is skipped when the rest of the
    /// text lacks it. Only a shortcut: it never changes which rule wins.
    let requiredUnit: UInt16?

    init(_ pattern: LexicalPattern, followedBy trailing: LexicalPattern? = nil, _ action: LexerAction,
         requiring requiredUnit: Unicode.Scalar? = nil) {
        self.pattern = CompiledPattern(pattern)
        self.trailingContext = trailing.map(CompiledPattern.init)
        self.action = action
        self.requiredUnit = requiredUnit.map { UInt16($0.value) }
    }
}

// MARK: - Character classes

private func range(_ lower: UInt16, _ upper: UInt16) -> ClosedRange<UInt16> { lower...upper }

/// Space characters other than line breaks.
private let spaceUnits = UnitSet(ranges: [range(0x20, 0x20), range(0x09, 0x09), range(0xA0, 0xA0),
                                          range(0x2000, 0x200A), range(0x3000, 0x3000)])
private let space = units(spaceUnits)
private let spaces = space.oneOrMore
private let newline = alt(lit("\r"), seq(lit("\r").optional, lit("\n")),
                          oneOf("\u{2028}\u{2029}\u{0B}\u{0C}\u{85}"))
private let spaceOrNewline = alt(space, newline)
private let spacesOrNewlines = spaceOrNewline.oneOrMore

private let asciiLetter = oneOf("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
private let asciiDigit = oneOf("0123456789")
private let asciiLetterOrDigit = alt(asciiLetter, asciiDigit)
private let javaLetter = units(.javaLetter)
private let javaLetterOrDigit = units(UnitSet.javaLetter.union(.javaDigit))

/// SGML/XML-like tags: <p>, </p>, <a href="x">, <!DOCTYPE ...>.
private let sgml: LexicalPattern = {
    let nameStart = asciiLetter
    let nameRest = alt(asciiLetterOrDigit, oneOf("_:.-")).zeroOrMore
    let name = seq(nameStart, nameRest)
    let quotedValue = alt(seq(lit("'"), noneOf("'").zeroOrMore, lit("'")),
                          seq(lit("\""), noneOf("\"").zeroOrMore, lit("\"")))
    let attribute = seq(lit(" ").oneOrMore,
                        alt(name, seq(name, lit(" ").zeroOrMore, lit("="), lit(" ").zeroOrMore, quotedValue)))
    let declaration = seq(oneOf("!?"), alt(asciiLetter, oneOf("-")), noneOf(">\r\n").zeroOrMore)
    let openTag = seq(name, attribute.zeroOrMore, lit(" ").zeroOrMore, lit("/").optional)
    let closeTag = seq(lit("/"), name)
    return seq(lit("<"), alt(declaration, openTag, closeTag), lit(" ").zeroOrMore, lit(">"))
}()

/// Space or line break followed by another one, an upper-case letter or a tag.
private let sentenceEnd = seq(spaceOrNewline, alt(spaceOrNewline, units(.javaUppercase), sgml))

private let digit = units(UnitSet.javaDigit.union(UnitSet(ranges: [range(0x07C0, 0x07C9)])))
private let date = seq(digit.repeated(1, 2), oneOf("-/"), digit.repeated(1, 2), oneOf("-/"), digit.repeated(2, 4))
private let numberBody = alt(digit.oneOrMore,
                             seq(digit.zeroOrMore,
                                 seq(oneOf(".:,\u{AD}\u{066B}\u{066C}"), digit.oneOrMore).oneOrMore))
private let number = seq(oneOf("-+").optional, numberBody)
private let superOrSubscriptNumber = seq(
    oneOf("\u{207A}\u{207B}\u{208A}\u{208B}").optional,
    alt(units(UnitSet(ranges: [range(0x2070, 0x2070), range(0xB9, 0xB9), range(0xB2, 0xB3),
                               range(0x2074, 0x2079)])).oneOrMore,
        units(UnitSet(ranges: [range(0x2080, 0x2089)])).oneOrMore))
private let fraction = seq(seq(digit.repeated(1, 4), oneOf("- \u{A0}")).optional,
                           digit.repeated(1, 4),
                           alt(seq(lit("\\").optional, lit("/")), lit("\u{2044}")),
                           digit.repeated(1, 4))
private let fractionCharacter = units(UnitSet(ranges: [range(0xBC, 0xBE), range(0x2153, 0x215E)]))
private let dollarSign = alt(seq(units(UnitSet(ranges: [range(0x41, 0x5A)])).zeroOrMore, lit("$")), lit("#"))
private let otherCurrencySign = oneOf("\u{A2}\u{A3}\u{A4}\u{A5}\u{80}\u{20A0}\u{20AC}\u{060B}\u{0E3F}\u{20A4}\u{FFE0}\u{FFE1}\u{FFE5}\u{FFE6}")

/// HTML-entity accented vowels such as &eacute; count as letters.
private let entityLetter = seq(lit("&"), oneOf("aeiouAEIOU"), alt(literals: ["acute", "grave", "uml"]), lit(";"))
/// Combining marks and other characters the lexer accepts inside words, beyond Java letters.
private let extraWordCharacters = UnitSet(ranges: [
    range(0x00AD, 0x00AD), range(0x0237, 0x024F), range(0x02C2, 0x02C5), range(0x02D2, 0x02DF),
    range(0x02E5, 0x02FF), range(0x0300, 0x036F), range(0x0370, 0x037D), range(0x0384, 0x0385),
    range(0x03CF, 0x03CF), range(0x03F6, 0x03F6), range(0x03FC, 0x03FF), range(0x0483, 0x0487),
    range(0x04CF, 0x04CF), range(0x04F6, 0x04FF), range(0x0510, 0x0525), range(0x055A, 0x055F),
    range(0x0591, 0x05BD), range(0x05BF, 0x05BF), range(0x05C1, 0x05C2), range(0x05C4, 0x05C5),
    range(0x05C7, 0x05C7), range(0x0615, 0x061A), range(0x063B, 0x063F), range(0x064B, 0x065E),
    range(0x0670, 0x0670), range(0x06D6, 0x06EF), range(0x06FA, 0x06FF), range(0x070F, 0x070F),
    range(0x0711, 0x0711), range(0x0730, 0x074F), range(0x0750, 0x077F), range(0x07A6, 0x07B1),
    range(0x07CA, 0x07F5), range(0x07FA, 0x07FA), range(0x0900, 0x0903), range(0x093C, 0x093C),
    range(0x093E, 0x094E), range(0x0951, 0x0955), range(0x0962, 0x0963), range(0x0981, 0x0983),
    range(0x09BC, 0x09C4), range(0x09C7, 0x09C8), range(0x09CB, 0x09CD), range(0x09D7, 0x09D7),
    range(0x09E2, 0x09E3), range(0x0A01, 0x0A03), range(0x0A3C, 0x0A3C), range(0x0A3E, 0x0A4F),
    range(0x0A81, 0x0A83), range(0x0ABC, 0x0ACF), range(0x0B82, 0x0B82), range(0x0BBE, 0x0BC2),
    range(0x0BC6, 0x0BC8), range(0x0BCA, 0x0BCD), range(0x0C01, 0x0C03), range(0x0C3E, 0x0C56),
    range(0x0D3E, 0x0D44), range(0x0D46, 0x0D48), range(0x0E30, 0x0E3A), range(0x0E47, 0x0E4E),
    range(0x0EB1, 0x0EBC), range(0x0EC8, 0x0ECD),
])
private let wordLetter = alt(units(UnitSet.javaLetter.union(extraWordCharacters)), entityLetter)
private let wordLetterOrDigit = alt(wordLetter, digit)
/// Letters and digits, with ., ! or ? allowed between letters ("e.g", "Yahoo!Inc").
private let word = seq(wordLetter, wordLetterOrDigit.zeroOrMore,
                       seq(oneOf(".!?"), wordLetter, wordLetterOrDigit.zeroOrMore).zeroOrMore)

private let filenameExtension = alt(literals: [
    "bat", "bmp", "c", "class", "cgi", "cpp", "dll", "doc", "docx", "exe", "gif", "gz", "h", "htm",
    "html", "jar", "java", "jpeg", "jpg", "mov", "mp3", "pdf", "php", "pl", "png", "ppt", "ps", "py",
    "sql", "tar", "txt", "wav", "x", "xml", "zip",
])
private let filename = seq(wordLetterOrDigit.oneOrMore, seq(lit("."), wordLetterOrDigit.oneOrMore).zeroOrMore,
                           lit("."), filenameExtension)

private let apostrophe = alt(oneOf("'\u{92}\u{2019}"), lit("&apos;"))
/// Apostrophe-like characters that may appear inside a word.
private let apostropheLike = alt(apostrophe, oneOf("`\u{91}\u{2018}\u{201B}"))
private let hyphen = oneOf("-_\u{058A}\u{2010}\u{2011}")
/// "d'", "o'", "l'" prefixes as in o'clock or l'eau.
private let elidedPrefix = seq(oneOf("dDoOlL"), apostropheLike, javaLetterOrDigit)
/// Hyphenated compounds of letters and digits.
private let compound = seq(elidedPrefix.optional, javaLetterOrDigit.oneOrMore,
                           seq(hyphen, elidedPrefix.optional, javaLetterOrDigit.oneOrMore).zeroOrMore)
private let uppercaseASCII = units(UnitSet(ranges: [range(0x41, 0x5A)]))
private let htmlAmpersand = lit("&amp;")
/// Upper-case names joined by + or &: AT&T, S&P.
private let ampersandName = seq(uppercaseASCII.oneOrMore,
                                seq(alt(oneOf("+&"), htmlAmpersand), uppercaseASCII.oneOrMore).oneOrMore)
/// Slash compounds: and/or, 1/2-inch, w/o.
private let slashCompound: LexicalPattern = {
    let hyphenTail = seq(lit("-"), asciiLetter.oneOrMore).repeated(0, 2)
    return seq(asciiLetterOrDigit.oneOrMore, hyphenTail,
               seq(lit("\\").optional, lit("/"), asciiLetterOrDigit.oneOrMore, hyphenTail).repeated(1, 2))
}()

private let acronymCore = alt(
    seq(asciiLetter, seq(lit("."), asciiLetter).zeroOrMore),
    seq(alt(literals: ["Canada", "Sino", "Korean", "EU", "Japan", "non"]), lit("-U.S")),
    seq(lit("U.S.-"), alt(literals: ["U.K", "U.S.S.R"])))
private let multiLetterAcronym = alt(
    seq(asciiLetter, seq(lit("."), asciiLetter).oneOrMore),
    seq(alt(literals: ["Canada", "Sino", "Korean", "EU", "Japan", "non"]), lit("-U.S")),
    seq(lit("U.S.-"), alt(literals: ["U.K", "U.S.S.R"])))
/// Hyphenated tokens with digits or dotted parts: 1,000-a-year, U.S.-based.
private let hyphenatedThing = seq(asciiLetterOrDigit, alt(asciiLetterOrDigit, oneOf(".,\u{AD}")).zeroOrMore,
                                  seq(lit("-"), alt(alt(asciiLetterOrDigit, oneOf("\u{AD}")).oneOrMore,
                                                    seq(multiLetterAcronym, lit(".")))).oneOrMore)

/// Clitics split off a preceding word: 's 'm 'd 're 've 'll.
private let clitic = seq(apostrophe, alt(oneOf("msdMSD"), lit("re"), lit("ve"), lit("ll")))
/// A word that can carry "n't" (it must not end in n).
private let wordBeforeNegation = seq(units(UnitSet("\u{AD}").union(UnitSet(ranges: [range(0x41, 0x5A), range(0x61, 0x7A)]))).zeroOrMore,
                                     units(UnitSet(ranges: [range(0x41, 0x4D), range(0x4F, 0x5A),
                                                           range(0x61, 0x6D), range(0x6F, 0x7A)])),
                                     oneOf("\u{AD}").zeroOrMore)
private let negation = seq(lit("n"), apostropheLike, lit("t"))

/// Words that keep an apostrophe: 'n', y'all, rock 'n' roll, o'clock, '90s, ma'am.
private let apostropheWord = alt(
    seq(apostrophe, lit("n"), apostrophe.optional),
    seq(oneOf("lLdDjJ"), apostrophe),
    seq(lit("Dunkin"), apostrophe),
    seq(lit("somethin"), apostrophe),
    seq(lit("ol"), apostrophe),
    seq(apostrophe, lit("em")),
    seq(units(UnitSet(ranges: [range(0x41, 0x48), range(0x4A, 0x58), range(0x5A, 0x5A), range(0x6E, 0x6E)])),
        apostropheLike, javaLetter, javaLetter, javaLetter.zeroOrMore),
    seq(apostrophe, units(UnitSet(ranges: [range(0x32, 0x39)])), lit("0s")),
    seq(apostrophe, lit("til"), lit("l").optional),
    seq(javaLetter, javaLetter.zeroOrMore, oneOf("aeiouyAEIOUY"), apostropheLike,
        units(UnitSet("aeiou").union(UnitSet(ranges: [range(0x41, 0x5A)]))), javaLetter.zeroOrMore),
    seq(apostrophe, lit("cause")),
    seq(lit("cont'd"), lit(".").optional),
    lit("'twas"), lit("nor'easter"), lit("c'mon"), lit("e'er"), lit("s'mores"), lit("ev'ry"),
    lit("li'l"), lit("nat'l"),
    seq(lit("O"), apostropheLike, lit("o")))
private let yApostrophe = seq(lit("y"), apostrophe)

private let fullURL = seq(lit("http"), lit("s").optional, lit("://"),
                          noneOf(" \t\n\u{0C}\r\"<>|(){}").oneOrMore,
                          noneOf(" \t\n\u{0C}\r\"<>|.!?(){},-"))
private let likelyURL: LexicalPattern = {
    let hostPart = noneOf(" \t\n\u{0C}\r\"<>|.!?(){},")
    let www = seq(lit("www."), seq(hostPart.oneOrMore, lit(".")).oneOrMore, asciiLetter.repeated(2, 4))
    // The class excludes the whole range ',' ... '_' (digits, upper case, ':' ... '@', '[' ... '^').
    let domainPart = units(UnitSet(" \t\n\u{0C}\r\"`'<>|.!?(){}$").union(UnitSet(ranges: [range(0x2C, 0x5F)])).complement)
    let topLevel = seq(seq(domainPart.oneOrMore, lit(".")).oneOrMore, alt(literals: ["com", "net", "org", "edu"]))
    let path = seq(lit("/"), noneOf(" \t\n\u{0C}\r\"<>|()").oneOrMore, noneOf(" \t\n\u{0C}\r\"<>|.!?(){},-"))
    return seq(alt(www, topLevel), path.optional)
}()
private let email: LexicalPattern = {
    let local = seq(asciiLetterOrDigit, noneOf(" \t\n\u{0C}\r\"<>|()\u{A0}{}").zeroOrMore)
    let label = noneOf(" \t\n\u{0C}\r\"<>|(){}.\u{A0}").oneOrMore
    return seq(alt(lit("&lt;"), lit("<")).optional, local, lit("@"),
               seq(label, lit(".")).zeroOrMore, label, alt(lit("&gt;"), lit(">")).optional)
}()
private let twitterName = seq(lit("@"), alt(asciiLetter, oneOf("_")), alt(asciiLetterOrDigit, oneOf("_")).zeroOrMore)
private let hashtag = seq(lit("#"), wordLetter.oneOrMore)

// Abbreviations (the lexer's lists, induced from newswire text).
private let monthAbbreviation = alt(literals: ["Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"])
private let dayAbbreviation = alt(literals: ["Mon", "Tue", "Tues", "Wed", "Thu", "Thurs", "Fri"])
/// A capital first letter that must be written upper case, then the rest in any case.
private func capitalized(_ first: String, _ rest: String) -> LexicalPattern { seq(oneOf(first), lit(rest)) }
private let stateAbbreviation = alt(
    lit("Ala"), lit("Ariz"), capitalized("A", "z"), capitalized("A", "rk"), lit("Calif"), lit("Colo"), lit("Conn"),
    lit("Ct"), lit("Dak"), capitalized("D", "el"), lit("Fla"), lit("Ga"), capitalized("I", "ll"), lit("Ind"),
    seq(lit("Kan"), lit("s").optional), lit("Ky"), capitalized("L", "a"), capitalized("M", "ass"), lit("Md"),
    lit("Mich"), lit("Minn"), capitalized("M", "iss"), lit("Mo"), lit("Mont"), lit("Neb"), lit("Nev"), lit("Okla"),
    capitalized("O", "re"), capitalized("P", "a"), lit("Penn"), lit("Tenn"), capitalized("T", "ex"), lit("Va"),
    lit("Vt"), capitalized("W", "ash"), seq(lit("Wis"), lit("c").optional), lit("Wyo"))
private let companyAbbreviation = alt(
    lit("Inc"), seq(lit("Co"), lit("s").optional), lit("Corp"),
    seq(lit("P"), lit("p").optional, lit("t"), oneOf("ye"), lit("s").optional),
    lit("Ltd"), lit("Plc"), lit("Rt"), lit("Bancorp"), lit("Bhd"), lit("Assn"), lit("Univ"), lit("Intl"), lit("Sys"))
private let numberAbbreviation = alt(literals: ["tel", "est", "ext", "sq"])
private let personSuffixAbbreviation = alt(lit("Jr"), lit("Sr"), lit("Bros"), seq(alt(lit("Ed"), lit("Ph")), lit(".D")),
                                           lit("Blvd"), lit("Rd"), lit("Esq"))
/// Abbreviations usually followed by a lower-case word (an upper-case one suggests a sentence end).
private let lowercaseFollowedAbbreviation = seq(
    alt(monthAbbreviation, dayAbbreviation, stateAbbreviation, companyAbbreviation, numberAbbreviation,
        personSuffixAbbreviation, lit("etc"), lit("al"), lit("seq"), lit("Bldg")),
    lit("."))
private let titleAbbreviation = alt(
    lit("Mr"), lit("Mrs"), lit("Ms"), capitalized("M", "iss"), seq(lit("Dr"), lit("s").optional),
    seq(lit("Prof"), lit("s").optional), seq(lit("Sen"), lit("s").optional), seq(lit("Rep"), lit("s").optional),
    seq(lit("Atty"), lit("s").optional), lit("Lt"), lit("Col"), lit("Gen"), lit("Messrs"),
    seq(lit("Gov"), lit("s").optional), lit("Adm"), lit("Rev"), lit("Maj"), lit("Sgt"), lit("Cpl"), lit("Pvt"),
    lit("Capt"), seq(lit("St"), lit("e").optional), lit("Ave"), lit("Pres"), lit("Lieut"), lit("Hon"), lit("Brig"),
    seq(lit("C"), lit("o").optional, lit("mdr")), lit("Pfc"), lit("Spc"), seq(lit("Supt"), lit("s").optional),
    lit("Det"), lit("Mt"), lit("Ft"), lit("Adj"), lit("Adv"), lit("Asst"), lit("Assoc"), lit("Ens"), lit("Insp"),
    lit("Mlle"), lit("Mme"), lit("Msgr"), lit("Sfc"))
private let companyAbbreviation2 = alt(lit("Invt"), lit("Elec"), lit("Natl"), seq(lit("M"), oneOf("ft"), lit("g")), lit("Dept"))
/// Abbreviations usually followed by an upper-case word (never treated as sentence ends).
private let uppercaseFollowedAbbreviationStem = alt(
    titleAbbreviation, lit("vs"), lit("Alex"), lit("Wm"), lit("Jos"), lit("Cie"), lit("a.k.a"), lit("cf"),
    lit("TREAS"), lit("Ph"), acronymCore, companyAbbreviation2)
private let uppercaseFollowedAbbreviation = seq(uppercaseFollowedAbbreviationStem, lit("."))
private let acronymWithPeriod = seq(acronymCore, lit("."))
/// Abbreviations recognised only before a number: ca. 5, fig. 3, no. 7.
private let beforeNumberAbbreviation = seq(
    alt(literals: ["ca", "fig", "figs", "prop", "no", "nos", "art", "bldg", "pp", "op"]), lit("."))
/// Words that, after an acronym, suggest a new sentence ("... in the U.S. The ...").
private let sentenceStarters = alt(
    capitalized("A", "bout"), capitalized("A", "ccording"), capitalized("A", "dditionally"), capitalized("A", "fter"),
    capitalized("A", "n"), oneOf("A"), capitalized("A", "s"), capitalized("A", "t"), capitalized("B", "ut"),
    capitalized("E", "arlier"), capitalized("H", "e"), capitalized("H", "er"), capitalized("H", "ere"),
    capitalized("H", "owever"), capitalized("I", "f"), capitalized("I", "n"), capitalized("I", "t"),
    capitalized("L", "ast"), capitalized("M", "any"), capitalized("M", "ore"), capitalized("M", "r."),
    capitalized("M", "s."), capitalized("N", "ow"), capitalized("O", "nce"), capitalized("O", "ne"),
    capitalized("O", "ther"), capitalized("O", "ur"), capitalized("S", "he"), capitalized("S", "ince"),
    capitalized("S", "o"), capitalized("S", "ome"), capitalized("S", "uch"), capitalized("T", "hat"),
    capitalized("T", "he"), capitalized("T", "heir"), capitalized("T", "hen"), capitalized("T", "here"),
    capitalized("T", "hese"), capitalized("T", "hey"), capitalized("T", "his"), capitalized("W", "e"),
    capitalized("W", "hen"), capitalized("W", "hile"), capitalized("W", "hat"), capitalized("Y", "et"),
    capitalized("Y", "ou"), sgml)

private let phoneNumber: LexicalPattern = {
    let separator = oneOf("- \u{A0}")
    let areaInBrackets = seq(lit("("), asciiDigit.repeated(2, 3), lit(")"), oneOf(" \u{A0}").optional)
    let plus = seq(lit("+"), lit("+").optional)
    let grouped = seq(alt(areaInBrackets,
                          seq(plus.optional, seq(asciiDigit.repeated(2, 4), separator).optional,
                              asciiDigit.repeated(2, 4), separator)),
                      asciiDigit.repeated(3, 4), separator.optional, asciiDigit.repeated(3, 5))
    let dotted = seq(seq(plus.optional, asciiDigit.repeated(2, 4), lit(".")).optional,
                     asciiDigit.repeated(2, 4), lit("."), asciiDigit.repeated(3, 4), lit("."), asciiDigit.repeated(3, 5))
    return alt(grouped, dotted)
}()

private let ellipsis = alt(lit(".").repeated(3, 5),
                           seq(seq(lit("."), oneOf(" \u{A0}")).repeated(2, 4), lit(".")),
                           oneOf("\u{85}\u{2026}"))
private let footnoteMarks = alt(lit("@").oneOrMore, lit("#").oneOrMore, lit("_").oneOrMore)
private let asterisks = alt(lit("*").oneOrMore, lit("\\*").repeated(1, 3))
private let inSentencePunctuation = oneOf(",;:\u{3001}")
private let quotes = alt(apostrophe, lit("''"),
                         oneOf("`\u{2018}\u{2019}\u{201A}\u{201B}\u{201C}\u{201D}\u{91}\u{92}\u{93}\u{94}\u{201E}\u{201F}\u{2039}\u{203A}\u{AB}\u{BB}").repeated(1, 2))
private let doubleQuote = alt(lit("\""), lit("&quot;"))
/// Treebank escapes and special forms kept whole: -LRB-, pro-, anti-, S&P-500, c'est.
private let treebankSpecial = alt(
    seq(lit("-"), alt(literals: ["RRB", "LRB", "RCB", "LCB", "RSB", "LSB"]), lit("-")),
    lit("C.D.s"), lit("pro-"), lit("anti-"),
    seq(lit("S"), alt(lit("&"), htmlAmpersand), lit("P-500")),
    seq(lit("S"), alt(lit("&"), htmlAmpersand), lit("Ls")),
    seq(lit("Cap"), apostrophe, lit("n")),
    seq(lit("c"), apostrophe, lit("est")))
/// Abbreviated years: '99.
private let abbreviatedYear = seq(apostrophe, asciiDigit, asciiDigit)
private let emoticon = seq(oneOf("<>").optional, oneOf(":;="), oneOf("-o*'").optional, oneOf("()DPdpO\\{@|[]"))
private let asianEmoticon: LexicalPattern = {
    let eye = oneOf("^x=~<>")
    let eyeOrDash = oneOf("-^x=~<>'")
    return alt(seq(eye, lit(".[^x=~<>]")),
               seq(eyeOrDash, lit("_"), eyeOrDash),
               seq(lit("("), eyeOrDash, oneOf("_.").optional, eyeOrDash, lit(")")),
               seq(lit("("), oneOf("^x=~<>'"), lit("-"), oneOf("^x=~<>'`"), lit(")")))
}()
/// Stand-alone symbols: + % & ~ ^ | \ and many Unicode symbol blocks.
private let symbol = units(UnitSet("+%&~^|\\\u{A6}\u{A7}\u{A8}\u{A9}\u{AC}\u{AE}\u{AF}\u{D7}\u{F7}\u{0387}\u{05BE}\u{05C0}\u{05C3}\u{05C6}\u{05F3}\u{05F4}\u{060C}\u{0614}\u{061B}\u{061E}\u{066A}\u{066D}\u{07F6}\u{07F7}\u{07F8}\u{0964}\u{0965}\u{0E4F}\u{1FBD}\u{2016}\u{2017}\u{203B}\u{2044}\u{3012}\u{30FB}")
    .union(UnitSet(ranges: [range(0xB0, 0xB3), range(0xB4, 0xBA), range(0x0600, 0x0603), range(0x0606, 0x060A),
                            range(0x0703, 0x070D), range(0x2020, 0x2023), range(0x2030, 0x2038),
                            range(0x203E, 0x2042), range(0x207A, 0x207F), range(0x208A, 0x208E),
                            range(0x2100, 0x214F), range(0x2190, 0x21FF), range(0x2200, 0x2BFF),
                            range(0xFF01, 0xFF0F), range(0xFF1A, 0xFF20), range(0xFF3B, 0xFF40),
                            range(0xFF5B, 0xFF65)])))
private let otherSentencePunctuation = oneOf(".\u{A1}\u{BF}\u{037E}\u{0589}\u{061F}\u{06D4}\u{0700}\u{0701}\u{0702}\u{07FA}\u{3002}")

// MARK: - Rules in priority order

/// The lexer's rules, highest priority first.
let ptbLexerRules: [LexerRule] = [
    LexerRule(seq(lit("c"), lit("+"), lit("+")), .emit),
    LexerRule(seq(alt(lit("c"), lit("f")), lit("#")), .emit),
    LexerRule(lit("cannot"), .emitPrefix(count: 3)),
    LexerRule(lit("'twas"), .emitPrefix(count: 2)),
    LexerRule(lit("'tis"), .emitPrefix(count: 2)),
    LexerRule(alt(literals: ["gonna", "gotta", "lemme", "gimme", "wanna"]), .emitPrefix(count: 3)),
    LexerRule(sgml, .emitWithNoBreakSpaces),
    LexerRule(alt(seq(lit("&"), alt(literals: ["MD", "mdash", "ndash"]), lit(";")),
                  oneOf("\u{96}\u{97}\u{2013}\u{2014}\u{2015}")), .emitReplacement("--")),
    LexerRule(htmlAmpersand, .emitNormalizingAmpersand),
    LexerRule(seq(lit("&"), alt(lit("HT"), lit("TL"), lit("UR"), lit("LR"), lit("QC"), lit("QL"), lit("QR"),
                                lit("odq"), lit("cdq"), seq(lit("#"), asciiDigit.oneOrMore)), lit(";")), .emit),
    LexerRule(word, followedBy: clitic, .emitWithoutSoftHyphens),
    LexerRule(wordBeforeNegation, followedBy: negation, .emitWithoutSoftHyphens),
    LexerRule(word, .emitWithoutSoftHyphens),
    LexerRule(apostropheWord, .emit),
    LexerRule(yApostrophe, followedBy: javaLetter, .emit),
    LexerRule(fullURL, .emit),
    LexerRule(likelyURL, .emit),
    // An e-mail's local part runs over most characters, so without an "@" ahead the
    // rule would scan to the end of every space-free run; skip it then.
    LexerRule(email, .emit, requiring: "@"),
    LexerRule(alt(twitterName, hashtag), .emit),
    LexerRule(clitic, followedBy: noneOf("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), .emitQuote(probablyLeft: false)),
    LexerRule(negation, followedBy: noneOf("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), .emitQuote(probablyLeft: false)),
    LexerRule(date, .emit),
    LexerRule(number, .emitWithoutSoftHyphens),
    LexerRule(superOrSubscriptNumber, .emit),
    LexerRule(fraction, .emitWithNoBreakSpaces),
    LexerRule(fractionCharacter, .emitNormalizingFraction),
    LexerRule(treebankSpecial, .emitNormalizingAmpersand),
    LexerRule(slashCompound, .emit),
    LexerRule(dollarSign, .emit),
    LexerRule(otherCurrencySign, .emitNormalizingCurrency),
    LexerRule(acronymWithPeriod, followedBy: seq(spacesOrNewlines, sentenceStarters, spaceOrNewline),
              .emitAcronymAtSentenceEnd),
    LexerRule(beforeNumberAbbreviation, followedBy: seq(spaceOrNewline.optional, units(.javaDigit)), .emit),
    LexerRule(seq(alt(seq(lit("pt"), oneOf("eyEY")), lit("co")), lit(".")),
              followedBy: seq(space, alt(lit("ltd"), lit("lim"))), .emit),
    LexerRule(lowercaseFollowedAbbreviation, followedBy: sentenceEnd, .emitRepeatingFinalPeriod),
    LexerRule(lowercaseFollowedAbbreviation, followedBy: seq(units(.any), units(.any)), .emit),
    LexerRule(lowercaseFollowedAbbreviation, .emitRepeatingFinalPeriod),
    LexerRule(uppercaseFollowedAbbreviation, .emit),
    LexerRule(uppercaseFollowedAbbreviationStem, followedBy: space, .emit),
    LexerRule(acronymCore, followedBy: spaceOrNewline, .emit),
    LexerRule(abbreviatedYear, followedBy: spaceOrNewline, .emit),
    LexerRule(filename, followedBy: alt(spaceOrNewline, oneOf(".?!,")), .emit),
    LexerRule(seq(word, lit(".")), followedBy: inSentencePunctuation, .emitWithoutSoftHyphens),
    LexerRule(phoneNumber, .emitPhoneNumber),
    LexerRule(doubleQuote, followedBy: alt(asciiLetterOrDigit, oneOf("$")), .emitQuote(probablyLeft: true)),
    LexerRule(doubleQuote, .emitQuote(probablyLeft: false)),
    LexerRule(oneOf("\u{7F}"), .skip),
    LexerRule(alt(lit("<"), lit("&lt;")), .emitReplacement("<")),
    LexerRule(alt(lit(">"), lit("&gt;")), .emitReplacement(">")),
    LexerRule(emoticon, followedBy: noneOf("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), .emitEmoticon),
    LexerRule(asianEmoticon, .emitEmoticon),
    LexerRule(lit("{"), .emitReplacement("-LCB-")),
    LexerRule(lit("}"), .emitReplacement("-RCB-")),
    LexerRule(lit("["), .emitReplacement("-LSB-")),
    LexerRule(lit("]"), .emitReplacement("-RSB-")),
    LexerRule(lit("("), .emitReplacement("-LRB-")),
    LexerRule(lit(")"), .emitReplacement("-RRB-")),
    LexerRule(lit("-").oneOrMore, .emitHyphens),
    LexerRule(ellipsis, .emitReplacement("...")),
    LexerRule(footnoteMarks, .emit),
    LexerRule(asterisks, .emit),
    LexerRule(inSentencePunctuation, .emit),
    LexerRule(oneOf("?!").oneOrMore, .emit),
    LexerRule(otherSentencePunctuation, .emit),
    LexerRule(lit("="), .emit),
    LexerRule(lit("/"), .emit),
    LexerRule(seq(hyphenatedThing, lit(".")), followedBy: inSentencePunctuation, .emitWithoutSoftHyphens),
    LexerRule(hyphenatedThing, .emitWithoutSoftHyphens),
    LexerRule(seq(compound, lit(".")), followedBy: inSentencePunctuation, .emit),
    LexerRule(compound, .emit),
    LexerRule(seq(ampersandName, lit(".")), followedBy: inSentencePunctuation, .emitNormalizingAmpersand),
    LexerRule(ampersandName, .emitNormalizingAmpersand),
    LexerRule(lit("'"), followedBy: seq(asciiLetter, noneOf(" \t\n\r\u{A0}")), .emitQuote(probablyLeft: true)),
    LexerRule(clitic, .emitQuote(probablyLeft: false)),
    LexerRule(negation, .emitQuote(probablyLeft: false)),
    LexerRule(quotes, .emitQuote(probablyLeft: false)),
    LexerRule(alt(lit("<<"), lit(">>")), .emit),
    LexerRule(symbol, .emit),
    LexerRule(alt(oneOf("\u{0}"), spaces, oneOf("\u{200B}\u{200E}\u{200F}\u{FEFF}")), .skip),
    LexerRule(newline, .lineBreak),
    LexerRule(lit("&nbsp;"), .skip),
]

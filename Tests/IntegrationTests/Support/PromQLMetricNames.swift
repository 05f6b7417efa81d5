/// The metric names a PromQL expression selects, read the way Prometheus's
/// lexer sees them: string literals, label matchers (`{...}`), ranges and
/// subqueries (`[...]`) and the label lists of `by`, `without`, `on`,
/// `ignoring`, `group_left` and `group_right` are skipped; an identifier
/// followed by `(` is a function or aggregation; keywords are not names.
/// What is left are vector selectors' metric names. Grafana's
/// `label_values(METRIC, label)` is read as METRIC. A `__name__` matcher
/// (`{__name__=~"a|b"}`) selects the names it lists.
enum PromQLMetricNames {
    static let keywords: Set<String> = [
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless",
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
        "quantile", "limitk", "limit_ratio", "atan2", "inf", "nan", "start", "end",
    ]
    static let labelListKeywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]

    static func names(in expression: String) -> Set<String> {
        let characters = Array(expression)
        var names = Set<String>()
        var index = 0
        var lastWord = ""
        func isStart(_ c: Character) -> Bool { c.isLetter || c == "_" || c == ":" }
        func isPart(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == ":" }
        /// `__name__="a"` / `__name__=~"a|b"` inside a label matcher: plain names only.
        func namesMatched(_ matcher: String) -> [String] {
            guard let range = matcher.range(of: #"__name__\s*=~?\s*"([A-Za-z_:][A-Za-z0-9_:|]*)""#, options: .regularExpression) else {
                return []
            }
            let match = matcher[range]
            guard let open = match.firstIndex(of: "\"") else { return [] }
            return match[match.index(after: open)...].dropLast().split(separator: "|").map(String.init)
        }
        func skip(to closing: Character) {
            // From an opening bracket to its match, over strings.
            let opening = characters[index]
            var depth = 0
            while index < characters.count {
                let c = characters[index]
                if c == "\"" || c == "'" || c == "`" {
                    skipString()
                    continue
                }
                if c == opening {
                    depth += 1
                } else if c == closing {
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return
                    }
                }
                index += 1
            }
        }
        func skipString() {
            let quote = characters[index]
            index += 1
            while index < characters.count, characters[index] != quote {
                if characters[index] == "\\" && quote != "`" { index += 1 }
                index += 1
            }
            index += 1
        }
        while index < characters.count {
            let c = characters[index]
            if c == "\"" || c == "'" || c == "`" {
                skipString()
                lastWord = ""
                continue
            }
            if c == "{" {
                let start = index
                skip(to: "}")
                names.formUnion(namesMatched(String(characters[start..<index])))
                lastWord = ""
                continue
            }
            if c == "[" {
                skip(to: "]")
                lastWord = ""
                continue
            }
            if c == "(" && labelListKeywords.contains(lastWord) {
                skip(to: ")")
                lastWord = ""
                continue
            }
            if c == "$" {
                // A Grafana variable ($__rate_interval, ${node}).
                index += 1
                if index < characters.count, characters[index] == "{" { skip(to: "}") }
                while index < characters.count, isPart(characters[index]) { index += 1 }
                lastWord = ""
                continue
            }
            if c.isNumber || (c == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
                // Numbers and durations (5m, 1.5e3, 0x1f): never names.
                while index < characters.count, isPart(characters[index]) || characters[index] == "." { index += 1 }
                lastWord = ""
                continue
            }
            if isStart(c) {
                var end = index
                while end < characters.count, isPart(characters[end]) { end += 1 }
                let word = String(characters[index..<end])
                var next = end
                while next < characters.count, characters[next] == " " { next += 1 }
                let called = next < characters.count && characters[next] == "("
                if word == "label_values", called {
                    // label_values(METRIC, label): the first argument is a metric.
                    var start = next + 1
                    while start < characters.count, characters[start] == " " { start += 1 }
                    var stop = start
                    while stop < characters.count, isPart(characters[stop]) { stop += 1 }
                    if stop > start { names.insert(String(characters[start..<stop])) }
                    if start < characters.count, characters[start] == "{" {
                        index = start
                        skip(to: "}")
                        names.formUnion(namesMatched(String(characters[start..<index])))
                    }
                    index = characters.count
                    continue
                }
                if !called && !keywords.contains(word) { names.insert(word) }
                lastWord = word
                index = end
                continue
            }
            if c != " " { lastWord = "" }
            index += 1
        }
        return names
    }
}

// DocumentationReferenceTests: every section a comment or text of the repository cites exists.
//
// Forms checked (case-insensitive), in code under Sources/ and Tests/, in scripts, configs,
// tools, bench and the Markdown guides:
// - "spec §N.M" and "algorithm §N.M" → a heading numbered N.M in docs/algorithm.md;
// - "architecture §N.M" → a heading numbered N.M in docs/architecture.md;
// - a citation may continue with more sections of the same document: "spec §2.1–§2.4, §3",
//   "§6.4/§6.5", "§2–5" (both ends of a range are checked), and carry a suffix such as
//   "§5.2 (a)" or "§4.6 step 1" (only the number is checked); "§§5.2, 5.3" lists sections;
// - the citing word and its "§" may be split over two comment lines ("spec\n// §4.11");
// - "Appendix B.4" → a heading "Appendix B" or "B.4" in docs/algorithm.md;
// - in code (not Markdown, whose guides cite each other's sections), a "§N" without a citing
//   word continues the algorithm contract and must be a heading there.
// Forbidden: "design §" and "style §" (documents the repository does not have; the design is
// docs/architecture.md), "house rule", and paths into the team's workspace ("../shared").
// The scan skips this file: its examples of bad references are deliberate.

import Foundation
import XCTest

final class DocumentationReferenceTests: XCTestCase {
    /// One problem: where, and what is wrong.
    struct Finding: CustomStringConvertible, Equatable {
        var path: String
        var line: Int
        var message: String
        var description: String { "\(path):\(line): \(message)" }
    }

    /// The documents citations resolve to, by the section numbers of their headings.
    struct Documents {
        var algorithm: Set<String>
        var architecture: Set<String>
    }

    /// The repository root (this file is Tests/MTAFNetTests/DocumentationReferenceTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Where citations are looked for, relative to the root.
    static let scannedFolders = ["Sources", "Tests", "scripts", "bench", "tools", "configs", "docs", ".ci"]
    static let scannedFiles = ["README.md", "Package.swift"]
    /// Extensions of the files read ("" = scripts without one).
    static let scannedExtensions: Set<String> = ["swift", "c", "h", "md", "py", "yml", "yaml", "sh", ""]

    func testEveryCitationNamesAnExistingSection() throws {
        let documents = try Self.loadDocuments()
        XCTAssertTrue(documents.algorithm.isSuperset(of: ["1", "2.7", "5.2", "12", "A", "B.4"]),
                      "docs/algorithm.md lost headings: \(documents.algorithm.sorted())")
        XCTAssertTrue(documents.architecture.isSuperset(of: ["1", "3.6"]),
                      "docs/architecture.md lost headings: \(documents.architecture.sorted())")
        let ownPath = URL(fileURLWithPath: #filePath).standardizedFileURL.path
        var findings: [Finding] = []
        var scanned = 0
        for url in try Self.scannedURLs() where url.standardizedFileURL.path != ownPath {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(Self.root.standardizedFileURL.path.count + 1))
            findings += Self.check(text, path: relative, isMarkdown: url.pathExtension == "md", documents: documents)
            scanned += 1
        }
        XCTAssertGreaterThan(scanned, 200, "the scan found too few files under \(Self.root.path)")
        XCTAssertTrue(findings.isEmpty, "\(findings.count) bad references:\n"
                      + findings.map(\.description).joined(separator: "\n"))
    }

    /// The checker itself, on text that must fail and text that must pass.
    func testCheckerCatchesBadCitations() {
        let documents = Documents(algorithm: ["2", "2.1", "2.4", "3", "4.6", "4.11", "5.2", "A", "B.4"],
                                  architecture: ["3", "3.6"])
        func messages(_ text: String, markdown: Bool = false) -> [String] {
            Self.check(text, path: "f", isMarkdown: markdown, documents: documents).map { "\($0.line): \($0.message)" }
        }
        XCTAssertEqual(messages("""
            // Spec §2.1–§2.4, §3; spec §5.2 (a); spec §4.6 step 1, PyTorch 1.3.1.
            // architecture §3.6, Appendix B.4, spec
            // §4.11, and §2 (bare, algorithm).
            """), [])
        XCTAssertEqual(messages("// spec §9.9"), ["1: spec §9.9: no heading 9.9 in docs/algorithm.md"])
        XCTAssertEqual(messages("// spec §2.1–§2.9"), ["1: spec §2.9: no heading 2.9 in docs/algorithm.md"])
        XCTAssertEqual(messages("// spec §2–7"), ["1: spec §7: no heading 7 in docs/algorithm.md"])
        XCTAssertEqual(messages("// spec §§2.1, 2.4, 5.9"), ["1: spec §5.9: no heading 5.9 in docs/algorithm.md"])
        XCTAssertEqual(messages("// architecture §3.7"),
                       ["1: architecture §3.7: no heading 3.7 in docs/architecture.md"])
        XCTAssertEqual(messages("x\n// Design §3"),
                       ["2: design §3: no such document; cite docs/architecture.md as architecture §N"])
        XCTAssertEqual(messages("// (style §1)"),
                       ["1: style §1: no such document; cite docs/architecture.md as architecture §N"])
        XCTAssertEqual(messages("// the poly LRs (§4.5)"), ["1: §4.5: no heading 4.5 in docs/algorithm.md"])
        XCTAssertEqual(messages("see [cluster.md §9](cluster.md)", markdown: true), [])
        XCTAssertEqual(messages("// Appendix C.2"), ["1: Appendix C.2: no heading C.2 in docs/algorithm.md"])
        XCTAssertEqual(messages("// (house rule 6)"),
                       ["1: \"house rule\": cite docs/architecture.md or say the reason"])
        XCTAssertEqual(messages("// ../shared/spec/mtaf.md"),
                       ["1: \"../shared\": the team's workspace is not part of the repository"])
    }

    // MARK: - The checker

    private static let number = #"\d+(?:\.\d+)*"#
    /// Space between a word and what follows, possibly across a line break and a comment leader.
    private static let gap = #"(?:[ \t]*\n[ \t]*(?://+|#+|\*+)?[ \t]*|[ \t]*)"#
    private static let citation = try! NSRegularExpression(
        pattern: #"\b(spec|algorithm|architecture|design|style)(?:\.md)?"# + gap + "(§+)" + #"\s*("# + number + ")"
            + #"((?:[ \t]*(?:–|—|-|/|,|and|or)"# + gap + "§[ \t]*" + number + "|[–—-]" + number + ")*)",
        options: [.caseInsensitive])
    /// Section numbers after "§§5.2": comma-separated, without their own "§".
    private static let sectionList = try! NSRegularExpression(pattern: #"^((?:\s*,\s*\d+(?:\.\d+)*)*)"#)
    private static let bareSection = try! NSRegularExpression(pattern: "§(" + number + ")?")
    private static let appendix = try! NSRegularExpression(pattern: #"\bAppendix ([A-Z](?:\.\d+)?)\b"#)
    private static let numbers = try! NSRegularExpression(pattern: number)
    private static let forbidden: [(pattern: NSRegularExpression, message: String)] = [
        (try! NSRegularExpression(pattern: "house rule", options: [.caseInsensitive]),
         "\"house rule\": cite docs/architecture.md or say the reason"),
        (try! NSRegularExpression(pattern: #"\.\./shared|shared/spec/"#),
         "\"../shared\": the team's workspace is not part of the repository"),
    ]

    /// Every bad reference in `text`.
    static func check(_ text: String, path: String, isMarkdown: Bool, documents: Documents) -> [Finding] {
        let ns = text as NSString
        var findings: [Finding] = []
        func report(_ location: Int, _ message: String) {
            let line = ns.substring(to: location).utf16.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            findings.append(Finding(path: path, line: line, message: message))
        }
        func missing(_ section: String, in document: String) -> String {
            "no heading \(section.isEmpty ? "(none)" : section) in docs/\(document)"
        }
        var cited = IndexSet()
        for match in matches(citation, in: text) {
            cited.insert(integersIn: match.range.location ..< NSMaxRange(match.range))
            let word = ns.substring(with: match.range(at: 1)).lowercased()
            let first = ns.substring(with: match.range(at: 3))
            if word == "design" || word == "style" {
                report(match.range.location,
                       "\(word) §\(first): no such document; cite docs/architecture.md as architecture §N")
                continue
            }
            var sections = [first] + strings(numbers, in: ns.substring(with: match.range(at: 4)))
            let after = ns.substring(from: NSMaxRange(match.range))
            if match.range(at: 2).length > 1, let list = matches(sectionList, in: after).first {
                // "§§5.2, 5.3": the list goes on without its own "§".
                sections += strings(numbers, in: (after as NSString).substring(with: list.range(at: 1)))
            }
            let document = word == "architecture" ? "architecture.md" : "algorithm.md"
            let headings = word == "architecture" ? documents.architecture : documents.algorithm
            for section in sections where !headings.contains(section) {
                report(match.range.location, "\(word) §\(section): " + missing(section, in: document))
            }
        }
        if !isMarkdown {
            for match in matches(bareSection, in: text) where !cited.contains(match.range.location) {
                let section = match.range(at: 1).location == NSNotFound ? "" : ns.substring(with: match.range(at: 1))
                if !documents.algorithm.contains(section) {
                    report(match.range.location, "§\(section): " + missing(section, in: "algorithm.md"))
                }
            }
        }
        for match in matches(appendix, in: text) {
            let section = ns.substring(with: match.range(at: 1))
            if !documents.algorithm.contains(section) {
                report(match.range.location, "Appendix \(section): " + missing(section, in: "algorithm.md"))
            }
        }
        for (pattern, message) in forbidden {
            for match in matches(pattern, in: text) { report(match.range.location, message) }
        }
        return findings.sorted { ($0.line, $0.message) < ($1.line, $1.message) }
    }

    private static func matches(_ regex: NSRegularExpression, in text: String) -> [NSTextCheckingResult] {
        regex.matches(in: text, range: NSRange(location: 0, length: (text as NSString).length))
    }

    private static func strings(_ regex: NSRegularExpression, in text: String) -> [String] {
        matches(regex, in: text).map { (text as NSString).substring(with: $0.range) }
    }

    /// The section numbers of a Markdown file's headings: "## 4. Functions" → 4, "### 4.6 Optimizers"
    /// → 4.6, "## Appendix B. Label maps" → B, "### B.4 Mapillary" → B.4.
    static func headingNumbers(_ markdown: String) -> Set<String> {
        let heading = try! NSRegularExpression(
            pattern: #"^#{1,6}[ \t]+(?:(\d+(?:\.\d+)*)\.?(?=\s|$)|Appendix ([A-Z])\b|([A-Z]\.\d+)\b)"#,
            options: [.anchorsMatchLines])
        let ns = markdown as NSString
        var result: Set<String> = []
        for match in matches(heading, in: markdown) {
            for group in 1 ... 3 where match.range(at: group).location != NSNotFound {
                result.insert(ns.substring(with: match.range(at: group)))
            }
        }
        return result
    }

    static func loadDocuments() throws -> Documents {
        func headings(_ name: String) throws -> Set<String> {
            headingNumbers(try String(contentsOf: root.appendingPathComponent("docs/" + name), encoding: .utf8))
        }
        return Documents(algorithm: try headings("algorithm.md"), architecture: try headings("architecture.md"))
    }

    static func scannedURLs() throws -> [URL] {
        var urls = scannedFiles.map { root.appendingPathComponent($0) }
        for folder in scannedFolders {
            let base = root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
            else { continue }
            for case let url as URL in walker where scannedExtensions.contains(url.pathExtension) {
                if try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true { urls.append(url) }
            }
        }
        return urls
    }
}

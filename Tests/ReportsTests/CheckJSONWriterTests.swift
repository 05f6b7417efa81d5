import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("check: JSON report")
struct CheckJSONWriterTests {
    @Test func jsonReportCarriesVerdictPredictionAndRemedy() throws {
        let (iptables, _) = RuleFixtures.files("random-fully")
        let report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: iptables).run()
        let json = CheckJSONWriter.render(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "ctaudit.check/v1")
        #expect(object["verdict"] as? String == "broken")
        let rules = try #require(object["rules"] as? [[String: Any]])
        let prediction = try #require((rules[0]["predictions"] as? [[String: Any]])?.first)
        let share = try #require(prediction["share_outside_without_clash"] as? Double)
        #expect(share == 0.5)
        let remedies = try #require(object["remedies"] as? [[String: Any]])
        #expect(
            (remedies[0]["commands"] as? [String])?.first
                == "iptables -t nat -I POSTROUTING 1 -p tcp -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE --to-ports 32768-65535 --random-fully"
        )
    }
}

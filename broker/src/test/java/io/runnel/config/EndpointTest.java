package io.runnel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

    @Test
    void parsesNameHostAndPort() {
        assertThat(Endpoint.parse("PLAINTEXT://broker1.example.com:9092"))
                .isEqualTo(new Endpoint("PLAINTEXT", "broker1.example.com", 9092));
    }

    @Test
    void listenerNameIsUpperCased() {
        assertThat(Endpoint.parse("internal_1://10.0.0.1:9093"))
                .isEqualTo(new Endpoint("INTERNAL_1", "10.0.0.1", 9093));
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertThat(Endpoint.parse("  PLAINTEXT://localhost:9092 \t"))
                .isEqualTo(new Endpoint("PLAINTEXT", "localhost", 9092));
    }

    @Test
    void emptyHostMeansEveryInterface() {
        Endpoint endpoint = Endpoint.parse("PLAINTEXT://:9092");

        assertThat(endpoint.host()).isEmpty();
        assertThat(endpoint.port()).isEqualTo(9092);
        assertThat(endpoint.isWildcard()).isTrue();
    }

    @Test
    void bracketedIpv6HostIsUnbracketed() {
        Endpoint endpoint = Endpoint.parse("PLAINTEXT://[::1]:9092");

        assertThat(endpoint.host()).isEqualTo("::1");
        assertThat(endpoint.port()).isEqualTo(9092);
        assertThat(endpoint.isWildcard()).isFalse();
    }

    @Test
    void portsAtTheEdgesOfTheRangeAreAccepted() {
        assertThat(Endpoint.parse("PLAINTEXT://h:0").port()).isZero();
        assertThat(Endpoint.parse("PLAINTEXT://h:65535").port()).isEqualTo(65535);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "   ",
                "localhost:9092",
                "PLAINTEXT://localhost",
                "PLAINTEXT://localhost:",
                "PLAINTEXT://localhost:abc",
                "PLAINTEXT://localhost:-1",
                "PLAINTEXT://localhost:9092/",
                "PLAINTEXT://localhost:9092/path",
                "PLAINTEXT:/localhost:9092",
                "PLAINTEXT//localhost:9092",
                "://localhost:9092",
                "PLAIN TEXT://localhost:9092",
                "PLAIN-TEXT://localhost:9092",
                "PLAINTEXT://[::1:9092",
                "PLAINTEXT://localhost:9092:9093",
                "PLAINTEXT://localhost:65536",
                "PLAINTEXT://localhost:99999999999",
            })
    void malformedListenerIsRejected(String text) {
        assertThatThrownBy(() -> Endpoint.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectionMessageQuotesTheListenerAndTheExpectedForm() {
        assertThatThrownBy(() -> Endpoint.parse("nonsense"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nonsense")
                .hasMessageContaining("NAME://host:port");
    }

    @Test
    void constructorRejectsPortsOutOfRange() {
        assertThatThrownBy(() -> new Endpoint("PLAINTEXT", "h", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> new Endpoint("PLAINTEXT", "h", 65536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536");
    }

    @Test
    void toStringIsTheListenerSyntax() {
        assertThat(new Endpoint("PLAINTEXT", "localhost", 9092)).hasToString("PLAINTEXT://localhost:9092");
        assertThat(new Endpoint("PLAINTEXT", "", 9092)).hasToString("PLAINTEXT://:9092");
    }

    @Test
    void toStringBracketsIpv6Hosts() {
        assertThat(new Endpoint("PLAINTEXT", "fe80::1", 9092)).hasToString("PLAINTEXT://[fe80::1]:9092");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "PLAINTEXT://localhost:9092",
                "SSL://10.1.2.3:9093",
                "CONTROLLER://:9094",
                "EXTERNAL://[2001:db8::7]:19092",
                "INTERNAL://[::]:0",
            })
    void toStringParsesBackToTheSameEndpoint(String text) {
        Endpoint endpoint = Endpoint.parse(text);

        assertThat(endpoint).hasToString(text);
        assertThat(Endpoint.parse(endpoint.toString())).isEqualTo(endpoint);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PLAINTEXT://:9092", "PLAINTEXT://0.0.0.0:9092", "PLAINTEXT://[::]:9092"})
    void wildcardHostsBindEveryInterface(String text) {
        assertThat(Endpoint.parse(text).isWildcard()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PLAINTEXT://localhost:9092", "PLAINTEXT://127.0.0.1:9092", "PLAINTEXT://[::1]:9092"})
    void specificHostsAreNotWildcards(String text) {
        assertThat(Endpoint.parse(text).isWildcard()).isFalse();
    }

    @Test
    void longFormIpv6AnyAddressIsAWildcard() {
        assertThat(Endpoint.parse("PLAINTEXT://[0:0:0:0:0:0:0:0]:9092").isWildcard())
                .isTrue();
    }

    @Test
    void specificEndpointIsAdvertisedAsIs() {
        Endpoint endpoint = new Endpoint("PLAINTEXT", "broker1", 9092);

        assertThat(endpoint.advertisable()).isSameAs(endpoint);
    }

    @Test
    void wildcardEndpointIsAdvertisedWithAReachableHostAndTheSameNameAndPort() {
        Endpoint advertised = Endpoint.parse("EXTERNAL://0.0.0.0:19092").advertisable();

        assertThat(advertised.listenerName()).isEqualTo("EXTERNAL");
        assertThat(advertised.port()).isEqualTo(19092);
        assertThat(advertised.host()).isNotEmpty();
        assertThat(advertised.isWildcard()).isFalse();
    }

    @Test
    void parseAllKeepsOrderAndSkipsBlankEntries() {
        List<Endpoint> endpoints =
                Endpoint.parseAll(List.of("PLAINTEXT://:9092", "", "  ", "controller://localhost:9093"));

        assertThat(endpoints)
                .containsExactly(new Endpoint("PLAINTEXT", "", 9092), new Endpoint("CONTROLLER", "localhost", 9093));
    }

    @Test
    void parseAllOfNothingIsEmpty() {
        assertThat(Endpoint.parseAll(List.of())).isEmpty();
        assertThat(Endpoint.parseAll(List.of(" "))).isEmpty();
    }

    @Test
    void parseAllRejectsAListenerNameUsedTwice() {
        assertThatThrownBy(() -> Endpoint.parseAll(List.of("PLAINTEXT://a:9092", "PLAINTEXT://b:9093")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PLAINTEXT")
                .hasMessageContaining("twice");
    }

    @Test
    void parseAllTreatsListenerNamesCaseInsensitivelyWhenCheckingDuplicates() {
        assertThatThrownBy(() -> Endpoint.parseAll(List.of("plaintext://a:9092", "PLAINTEXT://b:9093")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parseAllRejectsAMalformedEntry() {
        assertThatThrownBy(() -> Endpoint.parseAll(List.of("PLAINTEXT://:9092", "broken")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("broken");
    }

    @Test
    void twoEndpointsOnTheSamePortUnderDifferentNamesAreAllowed() {
        assertThat(Endpoint.parseAll(List.of("A://h1:9092", "B://h2:9092"))).hasSize(2);
    }
}

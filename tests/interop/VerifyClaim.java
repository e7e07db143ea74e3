// A claim's envelope verified with nothing but the JDK (15+, JEP 339), exactly as
// docs/offers.md §8 shows: java tests/interop/VerifyClaim.java TOKEN BASE64_PUBLIC_KEY
// prints "valid <payload JSON>" or "invalid". Run by js/test/claims.test.mjs.
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

public class VerifyClaim {
    // DER SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410): the raw 32 bytes follow.
    static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    public static void main(String[] args) throws Exception {
        String[] part = args[0].split("\\.", -1);
        if (part.length != 3) { System.out.println("invalid"); return; }
        Base64.Decoder url = Base64.getUrlDecoder();
        String header = new String(url.decode(part[0]), StandardCharsets.UTF_8);
        if (!header.contains("\"alg\":\"EdDSA\"") || !header.contains("\"typ\":\"perso-claim+jwt\"")) { System.out.println("invalid"); return; }
        byte[] raw = Base64.getDecoder().decode(args[1]);
        byte[] spki = new byte[SPKI_PREFIX.length + raw.length];
        System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
        System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, raw.length);
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(key);
        verifier.update((part[0] + "." + part[1]).getBytes(StandardCharsets.US_ASCII));
        boolean ok = verifier.verify(url.decode(part[2]));
        System.out.println(ok ? "valid " + new String(url.decode(part[1]), StandardCharsets.UTF_8) : "invalid");
    }
}

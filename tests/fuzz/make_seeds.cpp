// Writes the fuzz targets' seed inputs (corpus/<target>/seed-*) and the TSA certificates the
// TSA and export targets trust (data/tsa-ca.pem, data/tsa.pem): valid messages, a signed and
// time-stamped export, replies and tokens of a real TSA, the patterns of schemas/*.json.
//
//   cmake --build build --target saphan_fuzz_seeds && build/saphan_fuzz_seeds tests/fuzz
//
// The CA, the TSA and the log key are made afresh in a scratch folder and their private keys are
// thrown away, so every run gives new keys: the TSA and export seeds change together with
// data/*.pem (run it again when data/tsa.pem nears its end date, printed below).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/citizen_id.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "crypto/encoding.hpp"
#include "crypto/keys.hpp"
#include "evidence/checkpoint.hpp"
#include "evidence/export.hpp"
#include "evidence/log.hpp"
#include "exchange/envelope.hpp"
#include "merkle/merkle.hpp"
#include "pki/pki.hpp"
#include "tsa/timestamp.hpp"

using namespace saphan;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "make_seeds: " << what << "\n";
  std::exit(1);
}

template <class T>
T must(result<T> r, const std::string& what) {
  if (!r)
    die(what + ": " + r.error().detail);
  return std::move(*r);
}
void must(result<void> r, const std::string& what) {
  if (!r)
    die(what + ": " + r.error().detail);
}

fs::path root;

void put(const std::string& target, const std::string& name, std::string_view bytes) {
  const fs::path dir = root / "corpus" / target;
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out)
    die("writing " + (dir / name).string());
}

std::string read(const fs::path& path) {
  return must(read_file(path.string(), 1 << 20), "reading " + path.string());
}

// 2026-11-21T09:30:15Z and a few seconds on.
timestamp at(int seconds) {
  using namespace std::chrono;
  return sys_days{year{2026} / 11 / 21} + hours{9} + minutes{30} +
         std::chrono::seconds{15 + seconds};
}

// A valid Thai citizen ID from its first 12 digits.
std::string citizen(std::string twelve) {
  int sum = 0;
  for (int i = 0; i < 12; ++i)
    sum += (twelve[static_cast<std::size_t>(i)] - '0') * (13 - i);
  twelve += static_cast<char>('0' + (11 - sum % 11) % 10);
  must(validate_thai_id(twelve), "citizen id");
  return twelve;
}

// ---- messages ----

request_envelope envelope(bool consent) {
  request_envelope r;
  r.request_id = consent ? "req-20261121-0001" : "req_legal_0002";
  r.issued_at = at(0);
  r.consumer = must(parse_member_id("TH/GOV/JFO/legal-aid"), "member");
  r.dataset = must(parse_dataset_id("TH/GOV/DOPA/civil-registry/person@1.0"), "dataset");
  r.purpose = consent ? "legal-aid-eligibility" : "criminal-investigation";
  r.basis = consent ? lawful_basis::consent : lawful_basis::legal_obligation;
  if (consent)
    r.consent_id = "consent-7f3a9c";
  else
    r.legal_instrument = "Criminal Procedure Code s.132";
  r.subject = citizen(consent ? "110170023070" : "310120045678");
  r.fields = consent ? std::set<std::string>{"firstName", "lastName", "birthDate"}
                     : std::set<std::string>{};
  r.reply_key = crypto::to_public_jwk(crypto::generate_encryption_key().public_key, "reply-1");
  r.user_id = consent ? "officer-17" : "";
  r.issue = consent ? "JFO/2026/00042" : "";
  return r;
}

void message_seeds() {
  const auto consented = envelope(true);
  const auto legal = envelope(false);
  put("request_envelope", "consent", serialize(consented));
  put("request_envelope", "legal-instrument", serialize(legal));

  forwarded_request f;
  f.request = serialize(consented);
  f.consumer_signature = "eyJhbGciOiJFZERTQSJ9..c2lnbmF0dXJl";
  f.grant = {consented.request_id,
             crypto::sha256(f.request).to_hex(),
             {"firstName", "lastName"},
             true,
             consented.purpose,
             41,
             at(1)};
  put("forwarded_request", "pseudonymised", serialize(f));
  f.request = serialize(legal);
  f.grant = {
      legal.request_id, crypto::sha256(f.request).to_hex(), {}, false, legal.purpose, 7, at(2)};
  put("forwarded_request", "plain", serialize(f));

  provider_response p{consented.request_id, crypto::sha256("envelope").to_hex(),
                      "eyJhbGciOiJFQ0RILUVTIn0..aXY.Y2lwaGVydGV4dA.dGFn"};
  put("provider_response", "answer", serialize(p));

  hub_response h;
  h.request_id = consented.request_id;
  h.provider_body = serialize(p);
  h.provider_signature = "eyJhbGciOiJFZERTQSJ9..c2ln";
  h.evidence = {
      41,  42, p.request_hash, crypto::sha256(p.ciphertext).to_hex(), {"firstName", "lastName"},
      true};
  put("hub_response", "answer", serialize(h));
}

// ---- JSON, patterns, targets ----

void text_seeds() {
  // Byte 0: max_depth; byte 1: max_bytes / 16 (255: the default).
  const auto json = [](std::string name, unsigned char depth, unsigned char bytes,
                       std::string_view text) {
    std::string input{static_cast<char>(depth), static_cast<char>(bytes)};
    input += text;
    put("json", name, input);
  };
  json("object", 8, 255, R"({"a":1,"b":[true,false,null],"requestId":"req-00000001"})");
  json("nested", 3, 255, R"({"a":{"b":[{"c":"d"}]}})");
  json("too-deep", 2, 255, R"([[[1]]])");
  json("numbers", 4, 255, R"([0,-0,1.5e300,-2.25e-300,18446744073709551615,-9223372036854775808])");
  json("strings", 4, 255, R"(["\u0000\ud83d\ude00\"\\\/\b\f\n\r\t","สะพาน"])");
  json("small-limit", 4, 1, R"({"a":"0123456789abcdef"})");
  json("repeated", 4, 255, R"({"a":1,"a":2,"x":3})");

  // The patterns of the project's schemas, as the schema check meets them.
  std::set<std::string> patterns;
  for (const auto& file : fs::directory_iterator(root.parent_path().parent_path() / "schemas")) {
    auto doc = must(parse_json(read(file.path())), file.path().string());
    std::vector<const rapidjson::Value*> todo{&doc};
    while (!todo.empty()) {
      const auto* v = todo.back();
      todo.pop_back();
      if (v->IsObject()) {
        for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) {
          if (std::string_view(m->name.GetString()) == "pattern" && m->value.IsString())
            patterns.insert(m->value.GetString());
          todo.push_back(&m->value);
        }
      } else if (v->IsArray()) {
        for (const auto& item : v->GetArray())
          todo.push_back(&item);
      }
    }
  }
  int n = 0;
  for (const auto& p : patterns)
    put("pattern", "schema-" + std::to_string(++n), p);
  put("pattern", "groups", "^(a|bc)+(d{2,5}|[^x-z]?)*$");
  put("pattern", "escapes", "\\.\\[\\]\\{\\}\\(\\)\\|\\*\\+\\?\\^\\$\\\\[\\b-]");

  put("http_target", "entries", "/v1/log/entries?start=0&end=100");
  put("http_target", "search",
      "/v1/log/search?member=TH%2FGOV%2FJFO%2Flegal-aid&kind=exchange.decision&status=ok"
      "&since=2026-11-21T00:00:00Z&limit=50&before=1000");
  put("http_target", "citizen", "/v1/citizen/1101700230705/accesses?limit=10&before=");
  put("http_target", "proof", "/v1/log/proof/inclusion?index=3&size=8&x+y=a+b%20c&&");
}

// ---- RFC 3161 and the export ----

struct authority {
  tsa::tsa_signer signer;
  tsa::serial_source serials = tsa::random_serials();

  std::string respond(const crypto::sha256_digest& digest, std::optional<std::uint64_t> nonce,
                      timestamp now) const {
    auto query = must(tsa::make_request(digest, nonce), "make_request");
    return must(signer.respond(query, serials, now), "respond");
  }
};

// The TSA target's input: flags, digest, nonce, DER.
std::string tsa_input(const crypto::sha256_digest& digest, std::optional<std::uint64_t> nonce,
                      std::string_view der) {
  std::string out(1, static_cast<char>(nonce ? 1 : 0));
  out.append(digest.view());
  if (nonce) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>((*nonce >> shift) & 0xff);
  }
  out.append(der);
  return out;
}

void tsa_seeds(const authority& a) {
  const auto digest = crypto::sha256("a checkpoint note");
  const std::uint64_t nonce = 0x0123456789abcdefULL;
  const auto with_nonce = a.respond(digest, nonce, at(0));
  const auto without = a.respond(digest, std::nullopt, at(1));
  put("tsa_token", "response-nonce", tsa_input(digest, nonce, with_nonce));
  put("tsa_token", "response", tsa_input(digest, std::nullopt, without));
  put("tsa_token", "token",
      tsa_input(digest, std::nullopt, must(tsa::extract_token(without), "token")));
  put("tsa_token", "rejection",
      tsa_input(digest, std::nullopt,
                must(a.signer.respond("not a query", a.serials, at(2)), "rejection")));
  put("tsa_token", "other-digest", tsa_input(crypto::sha256("other"), std::nullopt, without));
}

void export_seeds(const authority& a, const std::string& tsa_pem) {
  const auto log_key = crypto::generate_signing_key();
  const std::string kid = "log-2026";
  const std::string origin = "saphan/TH/GOV/SAPHAN/hub";

  const auto header = [&](std::uint64_t size) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("format");
    w.String(evidence::export_format.data(),
             static_cast<rapidjson::SizeType>(evidence::export_format.size()));
    w.Key("origin");
    w.String(origin.c_str());
    w.Key("logKey");
    const auto jwk = crypto::to_public_jwk(log_key.public_key, kid);
    w.RawValue(jwk.data(), jwk.size(), rapidjson::kObjectType);
    w.Key("tsaCertificates");
    w.StartArray();
    w.String(tsa_pem.c_str());
    w.EndArray();
    w.Key("exportedAt");
    w.String(format_rfc3339(at(60)).c_str());
    w.Key("treeSize");
    w.Uint64(size);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
  };

  // Entries 0..5; heads after 2 (with a token), 5 (with a token) and 6 (none yet).
  std::vector<std::string> entries;
  for (int i = 0; i < 6; ++i) {
    entries.push_back(R"({"kind":"exchange.decision","requestId":"req-)" + std::to_string(i) +
                      R"(","status":"ok","purpose":"legal-aid-eligibility"})");
  }
  merkle::compact_tree tree;
  std::string body;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    body += must(evidence::entry_line(i, entries[i]), "entry line") + "\n";
    must(tree.append(merkle::leaf_hash(entries[i])), "append");
    const auto size = tree.size();
    if (size != 2 && size != 5 && size != 6)
      continue;
    auto cp = must(evidence::sign_checkpoint(origin, size, tree.root(), at(static_cast<int>(size)),
                                             kid, log_key.secret_key),
                   "sign");
    std::string token = "null";
    if (size != 6) {
      auto response = a.respond(evidence::timestamp_imprint(cp), std::nullopt, at(10));
      token = "\"" + crypto::base64url_encode(must(tsa::extract_token(response), "token")) + "\"";
    }
    body += R"({"checkpoint":)" + evidence::checkpoint_to_json(cp) + R"(,"timestampToken":)" +
            token + "}\n";
  }
  put("export_verify", "export", header(entries.size()) + body);

  // One entry and no head at all; and a file cut short after its second entry.
  put("export_verify", "single",
      header(1) + must(evidence::entry_line(0, entries[0]), "entry") + "\n");
  const auto cut = body.find('\n', body.find('\n') + 1);
  put("export_verify", "truncated", header(entries.size()) + body.substr(0, cut + 1));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2)
    die("usage: saphan_fuzz_seeds <tests/fuzz folder>");
  root = fs::absolute(argv[1]);
  if (!fs::exists(root / "fuzz.cmake"))
    die(root.string() + " is not the tests/fuzz folder");

  message_seeds();
  text_seeds();

  const fs::path scratch =
      fs::temp_directory_path() / ("saphan-fuzz-seeds-" + std::to_string(::getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  const auto ca = must(
      pki::create_ca((scratch / "ca").string(), "Saphan Fuzz Seeds TSA Root", 3660), "create_ca");
  const auto issued =
      must(pki::issue_tsa_certificate((scratch / "ca").string(), "Saphan Fuzz Seeds TSA",
                                      (scratch / "tsa").string(), 3650),
           "issue_tsa_certificate");
  authority a{
      must(tsa::tsa_signer::create({issued.certificate_path, issued.key_path, {}}), "signer")};
  const auto ca_pem = read(ca.certificate_path);
  const auto tsa_pem = read(issued.certificate_path);
  fs::create_directories(root / "data");
  must(write_file_atomic((root / "data" / "tsa-ca.pem").string(), ca_pem), "data/tsa-ca.pem");
  must(write_file_atomic((root / "data" / "tsa.pem").string(), tsa_pem), "data/tsa.pem");

  tsa_seeds(a);
  export_seeds(a, tsa_pem);
  fs::remove_all(scratch);
  std::cout << "seeds written under " << (root / "corpus").string()
            << "; the TSA certificate is valid for 3650 days from today\n";
  return 0;
}

#include "evidence/audited_store.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/json.hpp"
#include "crypto/hash.hpp"
#include "evidence/log.hpp"
#include "store/store_decorator.hpp"

namespace saphan::evidence {
namespace {

class entry_builder {
 public:
  entry_builder(std::string_view kind, std::string_view actor, timestamp at) : writer_(buffer_) {
    writer_.StartObject();
    text("kind", kind).text("at", format_rfc3339(at)).text("actor", actor);
    terms_.kind = std::string(kind);
    terms_.at = at;
  }
  entry_builder& text(std::string_view name, std::string_view value) {
    key(name);
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  template <class Range>
  entry_builder& list(std::string_view name, const Range& values) {
    key(name);
    writer_.StartArray();
    for (const auto& v : values) {
      const std::string s = std::string(v);
      writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    }
    writer_.EndArray();
    return *this;
  }
  log_terms& terms() { return terms_; }
  log_append finish() {
    writer_.EndObject();
    return {std::string(buffer_.GetString(), buffer_.GetSize()), std::move(terms_)};
  }

 private:
  void key(std::string_view name) {
    writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
  log_terms terms_;
};

std::string hash_of(std::string_view text) {
  return crypto::sha256(text).to_hex();
}

std::string policy_hash(const access_policy& policy) {
  rapidjson::Document doc;
  policy_to_json(policy, doc, doc.GetAllocator());
  return hash_of(write_json(doc));
}

// The event a consent update stands for, from the status it moves to.
std::string_view consent_update_kind(const consent_artefact& next, consent_status before) {
  if (next.status == before)
    return "consent.updated";
  switch (next.status) {
    case consent_status::active:
      return "consent.granted";
    case consent_status::rejected:
      return "consent.rejected";
    case consent_status::revoked:
      return "consent.revoked";
    case consent_status::expired:
      return "consent.expired";
    case consent_status::requested:
      return "consent.requested";
  }
  return "consent.updated";
}

class audited_store final : public store_decorator {
 public:
  audited_store(std::unique_ptr<store> inner, crypto::pseudonym_key key, std::string actor)
      : store_decorator(std::move(inner)), key_(std::move(key)), actor_(std::move(actor)) {}

  result<void> add_member(const member_record& m) override {
    return logged([&](store& s) { return s.add_member(m); },
                  [&] { return member_event("member.added", m, actor_, now_utc()); });
  }
  result<void> update_member(const member_record& m) override {
    // A change of status is its own kind of event: suspensions are what an auditor looks for.
    auto before = inner().find_member(m.id);
    std::string_view kind = "member.updated";
    if (before && before->status != m.status)
      kind = m.status == member_status::suspended ? "member.suspended" : "member.resumed";
    return logged([&](store& s) { return s.update_member(m); },
                  [&] { return member_event(kind, m, actor_, now_utc()); });
  }
  result<void> add_key(const member_key& k) override {
    return logged([&](store& s) { return s.add_key(k); },
                  [&] { return key_event("key.added", k, actor_, now_utc()); });
  }
  result<void> revoke_key(const member_id& member, const std::string& key_id) override {
    member_key k;
    k.member = member;
    k.key_id = key_id;
    k.revoked = true;
    return logged([&](store& s) { return s.revoke_key(member, key_id); },
                  [&] { return key_event("key.revoked", k, actor_, now_utc()); });
  }
  result<void> publish_dataset(const dataset_entry& d) override {
    return logged([&](store& s) { return s.publish_dataset(d); },
                  [&] { return dataset_event("dataset.published", d, actor_, now_utc()); });
  }
  result<void> update_policy(const dataset_id& id, const access_policy& policy) override {
    return logged([&](store& s) { return s.update_policy(id, policy); },
                  [&]() -> log_append {
                    dataset_entry d;
                    d.id = id;
                    d.policy = policy;
                    auto stored = inner().find_dataset(id);
                    if (stored)
                      d.level = stored->level;
                    return dataset_event("policy.changed", d, actor_, now_utc());
                  });
  }
  result<void> add_consent(const consent_artefact& c) override {
    return logged([&](store& s) { return s.add_consent(c); },
                  [&] {
                    return consent_event("consent.requested", c,
                                         crypto::subject_pseudonym(key_, c.subject), actor_,
                                         now_utc());
                  });
  }
  result<void> update_consent(const consent_artefact& c, consent_status expected) override {
    return logged([&](store& s) { return s.update_consent(c, expected); },
                  [&] {
                    return consent_event(consent_update_kind(c, expected), c,
                                         crypto::subject_pseudonym(key_, c.subject), actor_,
                                         now_utc());
                  });
  }

 private:
  // The change and its entry in one transaction of the store underneath (the change itself is
  // not audited twice).
  template <class Change, class Entry>
  result<void> logged(Change change, Entry entry) {
    return inner().transaction([&](store& tx) -> result<void> {
      SAPHAN_TRY_VOID(change(tx));
      SAPHAN_TRY_VOID(append_entries(tx, {entry()}));
      return ok();
    });
  }

  crypto::pseudonym_key key_;
  std::string actor_;
};

}  // namespace

log_append member_event(std::string_view kind, const member_record& m, std::string_view actor,
                        timestamp at) {
  entry_builder b(kind, actor, at);
  b.text("member", to_string(m.id))
      .text("name", m.name)
      .list("groups", m.groups)
      .text("clearance", to_string(m.clearance))
      .text("status", to_string(m.status));
  b.terms().provider = to_string(m.id);
  return b.finish();
}

log_append key_event(std::string_view kind, const member_key& k, std::string_view actor,
                     timestamp at) {
  entry_builder b(kind, actor, at);
  b.text("member", to_string(k.member)).text("keyId", k.key_id);
  if (!k.revoked) {
    b.text("use", to_string(k.use))
        .text("publicKeyHash", hash_of(k.public_key))
        .text("notBefore", format_rfc3339(k.not_before))
        .text("notAfter", format_rfc3339(k.not_after));
  }
  b.terms().provider = to_string(k.member);
  return b.finish();
}

log_append dataset_event(std::string_view kind, const dataset_entry& d, std::string_view actor,
                         timestamp at) {
  entry_builder b(kind, actor, at);
  b.text("dataset", to_string(d.id))
      .text("classification", to_string(d.level))
      .text("policyHash", policy_hash(d.policy));
  if (!d.schema.empty())
    b.text("schemaHash", hash_of(d.schema));
  b.terms().provider = to_string(d.id.owner);
  b.terms().dataset = to_string(d.id);
  return b.finish();
}

log_append consent_event(std::string_view kind, const consent_artefact& c,
                         std::string_view subject_pseudonym, std::string_view actor, timestamp at) {
  std::vector<std::string> datasets;
  for (const auto& d : c.datasets)
    datasets.push_back(to_string(d));
  entry_builder b(kind, actor, at);
  b.text("consentId", c.id.value)
      .text("subject", subject_pseudonym)
      .text("consumer", to_string(c.consumer))
      .list("datasets", datasets)
      .text("purpose", c.purpose)
      .list("fields", c.fields)
      .text("validFrom", format_rfc3339(c.valid_from))
      .text("validUntil", format_rfc3339(c.valid_until))
      .text("maxUses", c.max_uses ? std::to_string(*c.max_uses) : "")
      .text("collectionMethod", c.collection_method)
      .text("status", to_string(c.status));
  auto& t = b.terms();
  t.consumer = to_string(c.consumer);
  t.status = std::string(to_string(c.status));
  t.subject = std::string(subject_pseudonym);
  if (c.datasets.size() == 1)
    t.dataset = datasets.front();
  return b.finish();
}

std::unique_ptr<store> make_audited_store(std::unique_ptr<store> inner,
                                          crypto::pseudonym_key pseudonym_key, std::string actor) {
  return std::make_unique<audited_store>(std::move(inner), std::move(pseudonym_key),
                                         std::move(actor));
}

}  // namespace saphan::evidence

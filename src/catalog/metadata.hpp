// The DGA catalog metadata: the 14 mandatory fields every published dataset carries.
#pragma once

#include <string>
#include <vector>

#include "core/json.hpp"

namespace saphan {

struct catalog_metadata {
  std::string title;          // ชื่อชุดข้อมูล
  std::string owner_agency;   // หน่วยงานเจ้าของข้อมูล
  std::string contact_name;   // ผู้ติดต่อ
  std::string contact_email;  // อีเมลผู้ติดต่อ
  std::string objective;      // วัตถุประสงค์
  std::vector<std::string> keywords;  // คำสำคัญ
  std::string description;            // รายละเอียด
  std::string update_frequency;     // ความถี่ในการปรับปรุง
  std::string geographic_coverage;  // ขอบเขตเชิงภูมิศาสตร์
  std::string source;               // แหล่งที่มา
  std::string format;               // รูปแบบการจัดเก็บ
  std::string data_category;  // หมวดหมู่ตามธรรมาภิบาลข้อมูล
  std::string license;            // สัญญาอนุญาต
  std::string access_conditions;  // เงื่อนไขในการเข้าถึง

  friend bool operator==(const catalog_metadata&, const catalog_metadata&) = default;
};

// The JSON member names of the 14 fields, in the order above.
const std::vector<std::string>& catalog_metadata_fields();

// Errors: missing_metadata naming the first missing or empty field.
result<catalog_metadata> metadata_from_json(const rapidjson::Value& value);
void metadata_to_json(const catalog_metadata& meta, rapidjson::Value& out,
                      rapidjson::Document::AllocatorType& alloc);

}  // namespace saphan

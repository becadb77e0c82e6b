// The built-in lists the synthetic citizens, companies and cases are drawn from: names, places,
// occupations, offences and courts. Private to the demo module.
#pragma once

#include <array>
#include <string_view>

namespace saphan::demo::names {

struct name_pair {
  std::string_view th;
  std::string_view en;
};

constexpr std::array<name_pair, 16> male_first_names{{
    {"สมชาย", "Somchai"},
    {"สมศักดิ์", "Somsak"},
    {"ประเสริฐ", "Prasert"},
    {"วิชัย", "Wichai"},
    {"สุชาติ", "Suchat"},
    {"อนุชา", "Anucha"},
    {"ธนากร", "Thanakorn"},
    {"ณัฐพล", "Nattaphon"},
    {"กิตติ", "Kitti"},
    {"พงศกร", "Pongsakorn"},
    {"อภิชาติ", "Aphichat"},
    {"ชัยวัฒน์", "Chaiwat"},
    {"สุริยา", "Suriya"},
    {"วีระ", "Wira"},
    {"ธีรศักดิ์", "Thirasak"},
    {"ปิยะ", "Piya"},
}};

constexpr std::array<name_pair, 16> female_first_names{{
    {"สมหญิง", "Somying"},
    {"มาลี", "Mali"},
    {"สุนิสา", "Sunisa"},
    {"วันเพ็ญ", "Wanphen"},
    {"ปราณี", "Pranee"},
    {"กาญจนา", "Kanchana"},
    {"นภา", "Napha"},
    {"อรุณี", "Arunee"},
    {"ศิริพร", "Siriporn"},
    {"พรทิพย์", "Pornthip"},
    {"จันทร์เพ็ญ", "Chanphen"},
    {"ณัฐธิดา", "Natthida"},
    {"สุภาพร", "Supaporn"},
    {"รัตนา", "Rattana"},
    {"อัญชลี", "Anchalee"},
    {"ปวีณา", "Paweena"},
}};

constexpr std::array<name_pair, 20> last_names{{
    {"ใจดี", "Jaidee"},        {"รักไทย", "Rakthai"},     {"ศรีสุข", "Srisuk"},
    {"แสงทอง", "Saengthong"}, {"วงศ์สวัสดิ์", "Wongsawat"}, {"บุญมี", "Boonmee"},
    {"สุขสวัสดิ์", "Suksawat"},   {"ทองดี", "Thongdee"},     {"เพชรรัตน์", "Phetrat"},
    {"จันทร์หอม", "Chanhom"},   {"มั่นคง", "Mankhong"},     {"ศรีวงศ์", "Sriwong"},
    {"พูลสวัสดิ์", "Poonsawat"},  {"แก้วมณี", "Kaewmanee"},   {"ชัยมงคล", "Chaimongkol"},
    {"นาคสุข", "Naksuk"},      {"อินทร์แก้ว", "Inkaew"},    {"สายทอง", "Saithong"},
    {"ปัญญาดี", "Panyadee"},    {"รุ่งเรือง", "Rungruang"},
}};

// DOPA geocodes: the sub-district code starts with the district code, which starts with the
// province code, as the address schema requires.
struct location {
  std::string_view province;
  std::string_view district;
  std::string_view subdistrict;
  std::string_view postcode;
  bool urban;  // Bangkok-style addresses have no moo
};

constexpr std::array<location, 10> locations{{
    {"10", "1001", "100101", "10200", true},   // Bangkok, Phra Nakhon, Phra Borom Maha Ratchawang
    {"10", "1004", "100401", "10500", true},   // Bangkok, Bang Rak, Maha Phruettharam
    {"10", "1030", "103001", "10900", true},   // Bangkok, Chatuchak, Lat Yao
    {"12", "1201", "120101", "11000", false},  // Nonthaburi, Mueang, Suan Yai
    {"20", "2001", "200101", "20000", false},  // Chon Buri, Mueang, Bang Pla Soi
    {"30", "3001", "300101", "30000", false},  // Nakhon Ratchasima, Mueang, Nai Mueang
    {"40", "4001", "400101", "40000", false},  // Khon Kaen, Mueang, Nai Mueang
    {"50", "5001", "500101", "50200", false},  // Chiang Mai, Mueang, Si Phum
    {"83", "8301", "830101", "83000", false},  // Phuket, Mueang, Talat Yai
    {"90", "9011", "901101", "90110", false},  // Songkhla, Hat Yai, Hat Yai
}};

constexpr std::array<std::string_view, 8> roads{
    "ราชดำเนิน", "สุขุมวิท", "พหลโยธิน", "เพชรบุรี", "มิตรภาพ", "ห้วยแก้ว", "เจริญกรุง", "ประชาอุทิศ",
};

struct foreign_names {
  std::string_view nationality;
  std::string_view passport_prefix;
  std::array<std::string_view, 6> male;
  std::array<std::string_view, 6> female;
  std::array<std::string_view, 6> last;
};

constexpr std::array<foreign_names, 4> foreign_name_lists{{
    {"MMR",
     "MA",
     {"Aung", "Kyaw", "Zaw", "Htet", "Min", "Thura"},
     {"Thida", "Hnin", "Su", "Moe", "Nilar", "Aye"},
     {"Win", "Htun", "Oo", "Naing", "Myint", "Soe"}},
    {"LAO",
     "P",
     {"Somphone", "Khamla", "Bounmy", "Vilay", "Keo", "Phet"},
     {"Noy", "Sengdao", "Phonsavanh", "Vanh", "Dao", "Manivanh"},
     {"Phommavong", "Sisouphanh", "Keomany", "Vongsa", "Inthavong", "Chanthavong"}},
    {"KHM",
     "N",
     {"Sokha", "Dara", "Rithy", "Vuthy", "Sovann", "Piseth"},
     {"Sophea", "Chenda", "Bopha", "Srey", "Vanna", "Sreymom"},
     {"Sok", "Chea", "Heng", "Kim", "Meas", "Pich"}},
    {"VNM",
     "C",
     {"Minh", "Tuan", "Hung", "Duc", "Quang", "Long"},
     {"Lan", "Huong", "Thu", "Mai", "Linh", "Ngoc"},
     {"Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu"}},
}};

constexpr std::array<std::string_view, 6> occupations{
    "construction labourer", "fishery worker",      "factory worker",
    "domestic worker",       "agricultural worker", "restaurant assistant",
};

constexpr std::array<name_pair, 10> company_words{{
    {"สยาม", "Siam"},
    {"รุ่งเรือง", "Rungruang"},
    {"พัฒนา", "Phatthana"},
    {"ทองคำ", "Thongkham"},
    {"เจริญ", "Charoen"},
    {"มั่งมี", "Mangmee"},
    {"ไทยรุ่ง", "Thairung"},
    {"ศรีนคร", "Srinakhon"},
    {"อุดม", "Udom"},
    {"ก้าวหน้า", "Kaona"},
}};

constexpr std::array<name_pair, 6> company_trades{{
    {"การค้า", "Trading"},
    {"ก่อสร้าง", "Construction"},
    {"อาหาร", "Food"},
    {"เทคโนโลยี", "Technology"},
    {"ขนส่ง", "Logistics"},
    {"เกษตร", "Agro"},
}};

constexpr std::array<std::string_view, 6> offences{
    "ลักทรัพย์", "ฉ้อโกง", "ทำร้ายร่างกาย", "ขับรถขณะเมาสุรา", "มียาเสพติดให้โทษไว้ในครอบครอง", "บุกรุก",
};

constexpr std::array<std::string_view, 5> courts{
    "ศาลอาญา", "ศาลจังหวัดเชียงใหม่", "ศาลจังหวัดขอนแก่น", "ศาลจังหวัดสงขลา", "ศาลแขวงพระนครเหนือ",
};

}  // namespace saphan::demo::names

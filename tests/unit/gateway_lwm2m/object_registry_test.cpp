#include "gateways/lwm2m/object_registry.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace gatemq::gateway::lwm2m {
namespace {

namespace fs = std::filesystem;

const fs::path shipped_definitions = GATEMQ_SOURCE_DIR "/lwm2m_xml";

// A fresh directory under the system temp dir, removed again at the end of the test.
class TempDirectory {
 public:
  TempDirectory() {
    static std::atomic<int> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ =
        fs::temp_directory_path() / ("gatemq-lwm2m-objects-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(stamp) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& content) const {
    const fs::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One <Object> in the OMA layout; `items` is the raw <Item> elements.
std::string object_element(const std::string& id, const std::string& name, const std::string& items,
                           const std::string& urn = "") {
  return R"(
  <Object ObjectType="MODefinition">
    <Name>)" +
         name + R"(</Name>
    <Description1>test object</Description1>
    <ObjectID>)" +
         id + R"(</ObjectID>
    <ObjectURN>)" +
         urn + R"(</ObjectURN>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>)" +
         items + R"(</Resources>
    <Description2></Description2>
  </Object>
)";
}

std::string object_xml(const std::string& id, const std::string& name, const std::string& items,
                       const std::string& urn = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LWM2M>" +
         object_element(id, name, items, urn) + "</LWM2M>\n";
}

std::string item_xml(const std::string& id, const std::string& name, const std::string& operations,
                     const std::string& type, const std::string& multiple = "Single",
                     const std::string& mandatory = "Mandatory") {
  return R"(<Item ID=")" + id + R"("><Name>)" + name + "</Name><Operations>" + operations +
         "</Operations><MultipleInstances>" + multiple + "</MultipleInstances><Mandatory>" +
         mandatory + "</Mandatory><Type>" + type +
         "</Type><RangeEnumeration></RangeEnumeration><Units></Units>"
         "<Description>d</Description></Item>";
}

const std::string temperature_items =
    item_xml("5700", "Sensor Value", "R", "Float") +
    item_xml("5701", "Sensor Units", "R", "String", "Single", "Optional") +
    item_xml("5605", "Reset Min and Max Measured Values", "E", "", "Single", "Optional");

std::string describe_all(const std::vector<LoadProblem>& problems) {
  std::string text;
  for (const auto& problem : problems) text += problem.describe() + "\n";
  return text;
}

// The problems about `file`, by file name.
std::vector<LoadProblem> problems_for(const std::vector<LoadProblem>& problems,
                                      const std::string& file_name) {
  std::vector<LoadProblem> found;
  std::copy_if(problems.begin(), problems.end(), std::back_inserter(found),
               [&](const LoadProblem& problem) { return problem.path.filename() == file_name; });
  return found;
}

void expect_resource(const ObjectRegistry& registry, std::uint16_t object_id,
                     std::uint16_t resource_id, const std::string& name,
                     const std::string& operations, ResourceType type, bool multiple,
                     bool mandatory) {
  SCOPED_TRACE("/" + std::to_string(object_id) + "/" + std::to_string(resource_id));
  const ResourceDefinition* resource = registry.resource(object_id, resource_id);
  ASSERT_NE(resource, nullptr);
  EXPECT_EQ(resource->id, resource_id);
  EXPECT_EQ(resource->name, name);
  EXPECT_EQ(resource->readable, operations.find('R') != std::string::npos);
  EXPECT_EQ(resource->writable, operations.find('W') != std::string::npos);
  EXPECT_EQ(resource->executable, operations == "E");
  EXPECT_EQ(resource->type, type);
  EXPECT_EQ(resource->multiple, multiple);
  EXPECT_EQ(resource->mandatory, mandatory);
}

constexpr bool single = false;
constexpr bool multiple = true;
constexpr bool optional = false;
constexpr bool mandatory = true;

TEST(ObjectRegistry, ShippedDefinitionsLoadCleanly) {
  const auto load = ObjectRegistry::load(shipped_definitions);
  ASSERT_NE(load.registry, nullptr);
  EXPECT_TRUE(load.problems.empty()) << describe_all(load.problems);
  std::vector<std::uint16_t> ids;
  for (const auto& [id, object] : load.registry->objects()) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<std::uint16_t>{0, 1, 2, 3, 4, 5, 6, 7}));

  struct Expected {
    std::uint16_t id;
    const char* name;
    bool multiple;
    bool mandatory;
    std::size_t resources;
  };
  for (const Expected& expected : {Expected{0, "LWM2M Security", multiple, mandatory, 13},
                                   Expected{1, "LwM2M Server", multiple, mandatory, 9},
                                   Expected{2, "LwM2M Access Control", multiple, optional, 4},
                                   Expected{3, "Device", single, mandatory, 23},
                                   Expected{4, "Connectivity Monitoring", single, optional, 11},
                                   Expected{5, "Firmware Update", single, optional, 9},
                                   Expected{6, "Location", single, optional, 7},
                                   Expected{7, "Connectivity Statistics", single, optional, 9}}) {
    SCOPED_TRACE(expected.name);
    const ObjectDefinition* object = load.registry->find(expected.id);
    ASSERT_NE(object, nullptr);
    EXPECT_EQ(object->name, expected.name);
    EXPECT_EQ(object->urn, "urn:oma:lwm2m:oma:" + std::to_string(expected.id));
    EXPECT_EQ(object->multiple, expected.multiple);
    EXPECT_EQ(object->mandatory, expected.mandatory);
    EXPECT_EQ(object->resources.size(), expected.resources);
  }
}

TEST(ObjectRegistry, ShippedResourcesMatchTheOmaDefinitions) {
  const auto load = ObjectRegistry::load(shipped_definitions);
  const ObjectRegistry& registry = *load.registry;
  using T = ResourceType;

  // /0 Security: no operations at all (bootstrap only).
  expect_resource(registry, 0, 0, "LWM2M Server URI", "", T::String, single, mandatory);
  expect_resource(registry, 0, 1, "Bootstrap-Server", "", T::Boolean, single, mandatory);
  expect_resource(registry, 0, 2, "Security Mode", "", T::Integer, single, mandatory);
  expect_resource(registry, 0, 5, "Secret Key", "", T::Opaque, single, mandatory);
  expect_resource(registry, 0, 10, "Short Server ID", "", T::Integer, single, optional);
  expect_resource(registry, 0, 12, "Bootstrap-Server Account Timeout", "", T::Integer, single,
                  optional);

  // /1 Server
  expect_resource(registry, 1, 0, "Short Server ID", "R", T::Integer, single, mandatory);
  expect_resource(registry, 1, 1, "Lifetime", "RW", T::Integer, single, mandatory);
  expect_resource(registry, 1, 4, "Disable", "E", T::None, single, optional);
  expect_resource(registry, 1, 6, "Notification Storing When Disabled or Offline", "RW", T::Boolean,
                  single, mandatory);
  expect_resource(registry, 1, 7, "Binding", "RW", T::String, single, mandatory);
  expect_resource(registry, 1, 8, "Registration Update Trigger", "E", T::None, single, mandatory);

  // /2 Access Control
  expect_resource(registry, 2, 0, "Object ID", "R", T::Integer, single, mandatory);
  expect_resource(registry, 2, 2, "ACL", "RW", T::Integer, multiple, optional);
  expect_resource(registry, 2, 3, "Access Control Owner", "RW", T::Integer, single, mandatory);

  // /3 Device
  expect_resource(registry, 3, 0, "Manufacturer", "R", T::String, single, optional);
  expect_resource(registry, 3, 4, "Reboot", "E", T::None, single, mandatory);
  expect_resource(registry, 3, 5, "Factory Reset", "E", T::None, single, optional);
  expect_resource(registry, 3, 6, "Available Power Sources", "R", T::Integer, multiple, optional);
  expect_resource(registry, 3, 11, "Error Code", "R", T::Integer, multiple, mandatory);
  expect_resource(registry, 3, 13, "Current Time", "RW", T::Time, single, optional);
  expect_resource(registry, 3, 16, "Supported Binding and Modes", "R", T::String, single,
                  mandatory);
  expect_resource(registry, 3, 22, "ExtDevInfo", "R", T::ObjectLink, multiple, optional);

  // /4 Connectivity Monitoring
  expect_resource(registry, 4, 0, "Network Bearer", "R", T::Integer, single, mandatory);
  expect_resource(registry, 4, 1, "Available Network Bearer", "R", T::Integer, multiple, mandatory);
  expect_resource(registry, 4, 2, "Radio Signal Strength", "R", T::Integer, single, mandatory);
  expect_resource(registry, 4, 4, "IP Addresses", "R", T::String, multiple, mandatory);
  expect_resource(registry, 4, 10, "SMCC", "R", T::Integer, single, optional);

  // /5 Firmware Update (1.0: Package URI is RW; ID 4 is unused)
  expect_resource(registry, 5, 0, "Package", "W", T::Opaque, single, mandatory);
  expect_resource(registry, 5, 1, "Package URI", "RW", T::String, single, mandatory);
  expect_resource(registry, 5, 2, "Update", "E", T::None, single, mandatory);
  expect_resource(registry, 5, 3, "State", "R", T::Integer, single, mandatory);
  EXPECT_EQ(registry.resource(5, 4), nullptr);
  expect_resource(registry, 5, 5, "Update Result", "R", T::Integer, single, mandatory);
  expect_resource(registry, 5, 8, "Firmware Update Protocol Support", "R", T::Integer, multiple,
                  optional);
  expect_resource(registry, 5, 9, "Firmware Update Delivery Method", "R", T::Integer, single,
                  mandatory);

  // /6 Location (1.0: read-only, Float coordinates)
  expect_resource(registry, 6, 0, "Latitude", "R", T::Float, single, mandatory);
  expect_resource(registry, 6, 1, "Longitude", "R", T::Float, single, mandatory);
  expect_resource(registry, 6, 3, "Radius", "R", T::Float, single, optional);
  expect_resource(registry, 6, 4, "Velocity", "R", T::Opaque, single, optional);
  expect_resource(registry, 6, 5, "Timestamp", "R", T::Time, single, mandatory);
  expect_resource(registry, 6, 6, "Speed", "R", T::Float, single, optional);

  // /7 Connectivity Statistics
  expect_resource(registry, 7, 0, "SMS Tx Counter", "R", T::Integer, single, optional);
  expect_resource(registry, 7, 2, "Tx Data", "R", T::Integer, single, optional);
  expect_resource(registry, 7, 6, "Start", "E", T::None, single, mandatory);
  expect_resource(registry, 7, 7, "Stop", "E", T::None, single, mandatory);
  expect_resource(registry, 7, 8, "Collection Period", "RW", T::Integer, single, optional);
}

TEST(ObjectRegistry, LookupsOfUnknownIds) {
  const auto load = ObjectRegistry::load(shipped_definitions);
  EXPECT_EQ(load.registry->find(9), nullptr);
  EXPECT_EQ(load.registry->resource(9, 0), nullptr);
  EXPECT_EQ(load.registry->resource(3, 23), nullptr);
  EXPECT_EQ(load.registry->resource(3, 65535), nullptr);
  ASSERT_NE(load.registry->find(3), nullptr);
  EXPECT_EQ(load.registry->find(3)->find(99), nullptr);

  const ObjectRegistry empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.find(3), nullptr);
}

TEST(ObjectRegistry, BadFilesAreReportedAndSkipped) {
  TempDirectory directory;
  directory.write("a_good.xml",
                  object_xml("3303", "Temperature", temperature_items, "urn:oma:lwm2m:ext:3303"));
  directory.write("b_malformed.xml", "<LWM2M>\n<Object>\n<Name>Broken</Nam>\n</Object></LWM2M>");
  directory.write("c_bad_object_id.xml", object_xml("3x", "Bad", temperature_items));
  directory.write("d_unknown_type.xml",
                  object_xml("3304", "Humidity", item_xml("5700", "Sensor Value", "R", "Double")));
  directory.write("notes.txt", "not a definition");
  directory.write(".hidden.xml", "<broken");

  const auto load = ObjectRegistry::load(directory.path());
  EXPECT_TRUE(load.has_errors());

  const auto malformed = problems_for(load.problems, "b_malformed.xml");
  ASSERT_EQ(malformed.size(), 1u) << describe_all(load.problems);
  EXPECT_TRUE(malformed[0].is_error());
  EXPECT_NE(malformed[0].message.find("XML syntax error at line 3"), std::string::npos)
      << malformed[0].message;
  EXPECT_NE(malformed[0].describe().find("b_malformed.xml: "), std::string::npos);

  const auto bad_id = problems_for(load.problems, "c_bad_object_id.xml");
  ASSERT_EQ(bad_id.size(), 1u) << describe_all(load.problems);
  EXPECT_NE(bad_id[0].message.find("invalid <ObjectID> \"3x\""), std::string::npos)
      << bad_id[0].message;

  const auto unknown_type = problems_for(load.problems, "d_unknown_type.xml");
  ASSERT_EQ(unknown_type.size(), 1u) << describe_all(load.problems);
  EXPECT_NE(unknown_type[0].message.find("object 3304, resource 5700: unknown <Type> \"Double\""),
            std::string::npos)
      << unknown_type[0].message;

  EXPECT_EQ(load.problems.size(), 3u) << describe_all(load.problems);
  EXPECT_EQ(load.registry->size(), 1u);
  const ObjectDefinition* temperature = load.registry->find(3303);
  ASSERT_NE(temperature, nullptr);
  EXPECT_EQ(temperature->urn, "urn:oma:lwm2m:ext:3303");
  EXPECT_EQ(load.registry->find(3304), nullptr) << "a file with an error is skipped whole";
}

TEST(ObjectRegistry, DirectoryProblems) {
  TempDirectory empty;
  const auto empty_load = ObjectRegistry::load(empty.path());
  ASSERT_EQ(empty_load.problems.size(), 1u);
  EXPECT_EQ(empty_load.problems[0].path, empty.path());
  EXPECT_FALSE(empty_load.problems[0].is_error());
  EXPECT_NE(empty_load.problems[0].message.find("no *.xml"), std::string::npos);
  EXPECT_EQ(empty_load.registry->size(), 0u);

  const fs::path missing = empty.path() / "does-not-exist";
  const auto missing_load = ObjectRegistry::load(missing);
  ASSERT_EQ(missing_load.problems.size(), 1u);
  EXPECT_TRUE(missing_load.problems[0].is_error());
  EXPECT_EQ(missing_load.problems[0].describe(), missing.string() + ": directory does not exist");
  ASSERT_NE(missing_load.registry, nullptr);

  const fs::path plain_file = empty.write("plain.xml", "<LWM2M/>");
  const auto file_load = ObjectRegistry::load(plain_file);
  ASSERT_EQ(file_load.problems.size(), 1u);
  EXPECT_EQ(file_load.problems[0].message, "not a directory");

  // A missing directory among good ones still loads the good ones.
  const std::vector<fs::path> directories{missing, shipped_definitions};
  const auto mixed = ObjectRegistry::load(directories);
  EXPECT_EQ(mixed.registry->size(), 8u);
  ASSERT_EQ(mixed.problems.size(), 1u) << describe_all(mixed.problems);
  EXPECT_EQ(mixed.problems[0].path, missing);
}

TEST(ObjectRegistry, LaterDirectoriesAddAndReplaceObjects) {
  TempDirectory extra;
  // A vendor's Device with one resource only, and the IPSO Temperature object.
  extra.write("device.xml",
              object_xml("3", "Vendor Device", item_xml("0", "Manufacturer", "R", "String")));
  extra.write("temperature.xml", object_xml("3303", "Temperature", temperature_items));

  const std::vector<fs::path> directories{shipped_definitions, extra.path()};
  const auto load = ObjectRegistry::load(directories);
  EXPECT_FALSE(load.has_errors()) << describe_all(load.problems);
  ASSERT_EQ(load.problems.size(), 1u) << describe_all(load.problems);
  EXPECT_FALSE(load.problems[0].is_error());
  EXPECT_EQ(load.problems[0].path.filename(), "device.xml");
  EXPECT_NE(load.problems[0].message.find("object 3 (Vendor Device) replaces the definition from"),
            std::string::npos)
      << load.problems[0].message;
  EXPECT_NE(load.problems[0].message.find("LWM2M_Device-v1_0.xml"), std::string::npos);

  EXPECT_EQ(load.registry->size(), 9u);
  ASSERT_NE(load.registry->find(3), nullptr);
  EXPECT_EQ(load.registry->find(3)->name, "Vendor Device");
  EXPECT_EQ(load.registry->find(3)->resources.size(), 1u);
  EXPECT_EQ(load.registry->resource(3, 4), nullptr) << "replaced whole, not merged";
  EXPECT_EQ(load.registry->find(3)->urn, "") << "the URN is optional";

  const ObjectDefinition* temperature = load.registry->find(3303);
  ASSERT_NE(temperature, nullptr);
  EXPECT_TRUE(temperature->multiple);
  EXPECT_FALSE(temperature->mandatory);
  expect_resource(*load.registry, 3303, 5700, "Sensor Value", "R", ResourceType::Float, single,
                  mandatory);
  expect_resource(*load.registry, 3303, 5605, "Reset Min and Max Measured Values", "E",
                  ResourceType::None, single, optional);

  // The other way round, the shipped Device wins.
  const std::vector<fs::path> reversed{extra.path(), shipped_definitions};
  EXPECT_EQ(ObjectRegistry::load(reversed).registry->find(3)->name, "Device");
}

TEST(ObjectRegistry, FilesLoadInNameOrder) {
  TempDirectory directory;
  // Written in reverse order: the result must follow the names, not the directory listing.
  directory.write("b.xml", object_xml("3303", "Second", temperature_items));
  directory.write("a.xml", object_xml("3303", "First", temperature_items));
  const auto load = ObjectRegistry::load(directory.path());
  EXPECT_EQ(load.registry->find(3303)->name, "Second");
  ASSERT_EQ(load.problems.size(), 1u);
  EXPECT_EQ(load.problems[0].path.filename(), "b.xml");
}

// Every field of operator-supplied XML is checked; each case must be refused with a message.
TEST(ObjectRegistry, HostileFieldsAreRefused) {
  const auto item = [](const std::string& id) { return item_xml(id, "Value", "R", "Integer"); };
  struct Case {
    const char* what;
    std::string xml;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"object id too big", object_xml("65535", "X", item("0")), "invalid <ObjectID> \"65535\""},
      {"object id huge", object_xml("99999999999999999999", "X", item("0")), "invalid <ObjectID>"},
      {"object id negative", object_xml("-1", "X", item("0")), "invalid <ObjectID> \"-1\""},
      {"object id hex", object_xml("0x3", "X", item("0")), "invalid <ObjectID> \"0x3\""},
      {"object id empty", object_xml("", "X", item("0")), "invalid <ObjectID> \"\""},
      {"object id with sign", object_xml("+3", "X", item("0")), "invalid <ObjectID> \"+3\""},
      {"resource id junk", object_xml("3303", "X", item("1a")), "invalid resource ID \"1a\""},
      {"resource id spaced", object_xml("3303", "X", item(" 1")), "invalid resource ID \" 1\""},
      {"resource id too big", object_xml("3303", "X", item("70000")),
       "invalid resource ID \"70000\""},
      {"no resource id", object_xml("3303", "X", "<Item><Name>n</Name></Item>"),
       "<Item> without an ID attribute"},
      {"duplicate resource", object_xml("3303", "X", item("1") + item("1")),
       "resource 1: resource ID defined twice"},
      {"bad operations", object_xml("3303", "X", item_xml("1", "V", "RWE", "Integer")),
       "<Operations> is \"RWE\""},
      {"lower-case operations", object_xml("3303", "X", item_xml("1", "V", "r", "Integer")),
       "<Operations> is \"r\""},
      {"readable without type", object_xml("3303", "X", item_xml("1", "V", "R", "")),
       "needs a <Type>"},
      {"unknown type", object_xml("3303", "X", item_xml("1", "V", "R", "string")),
       "unknown <Type> \"string\""},
      {"bad multiplicity", object_xml("3303", "X", item_xml("1", "V", "R", "Integer", "Many")),
       "<MultipleInstances> is \"Many\""},
      {"bad mandatory",
       object_xml("3303", "X", item_xml("1", "V", "R", "Integer", "Single", "Yes")),
       "<Mandatory> is \"Yes\""},
      {"empty name", object_xml("3303", "", item("1")), "object 3303: empty <Name>"},
      {"control character in name", object_xml("3303", "A&#10;B", item("1")),
       "<Name> \"A\\x0aB\" is not printable UTF-8"},
      {"invalid UTF-8 name", object_xml("3303", "\xC0\xAF", item("1")),
       "<Name> \"\\xc0\\xaf\" is not printable UTF-8"},
      {"long name", object_xml("3303", std::string(300, 'n'), item("1")), "longer than 256"},
      {"nested element in name", object_xml("3303", "<b>x</b>", item("1")),
       "<Name> must hold text only"},
      {"urn for another object", object_xml("3303", "X", item("1"), "urn:oma:lwm2m:ext:3304"),
       "<ObjectURN>"},
      {"urn garbage", object_xml("3303", "X", item("1"), "http://example.com"), "<ObjectURN>"},
      {"urn bad version", object_xml("3303", "X", item("1"), "urn:oma:lwm2m:ext:3303:x"),
       "<ObjectURN>"},
      {"stray element in resources", object_xml("3303", "X", item("1") + "<Thing/>"),
       "object 3303: unexpected element <Thing> in <Resources>"},
      {"long element name", "<LWM2M><" + std::string(5000, 'n') + "/></LWM2M>",
       "unexpected element <" + std::string(40, 'n') + "...> in <LWM2M>"},
      {"leading NUL byte", std::string("\0<LWM2M/>", 9), "XML syntax error ("},
      {"wrong root", "<LWM2X><Object/></LWM2X>", "the root element is not <LWM2M>"},
      {"no object", "<LWM2M></LWM2M>", "no <Object> in <LWM2M>"},
      {"stray element", "<LWM2M><Thing/></LWM2M>", "unexpected element <Thing> in <LWM2M>"},
      {"missing object id", "<LWM2M><Object><Name>x</Name></Object></LWM2M>",
       "<Object> #1: missing <ObjectID>"},
      {"two object ids",
       "<LWM2M><Object><ObjectID>1</ObjectID><ObjectID>2</ObjectID></Object></LWM2M>",
       "more than one <ObjectID>"},
      {"missing resources",
       "<LWM2M><Object ObjectType=\"MODefinition\"><Name>x</Name><ObjectID>3303</ObjectID>"
       "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
       "</Object></LWM2M>",
       "object 3303: missing <Resources>"},
      {"wrong object type",
       "<LWM2M><Object ObjectType=\"Other\"><ObjectID>3303</ObjectID></Object></LWM2M>",
       "ObjectType is \"Other\""},
      {"duplicate object in a file",
       "<LWM2M>" + object_element("3303", "X", item("1")) + object_element("3303", "Y", item("1")) +
           "</LWM2M>",
       "defined twice in this file"},
      {"empty file", "", "empty file"},
      {"blank file", "  \n\t", "empty file"},
      {"tag soup", std::string(5000, '<') + "a", "XML syntax error"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.what);
    const auto parsed = parse_object_definitions(test.xml, "case.xml");
    EXPECT_TRUE(parsed.objects.empty());
    ASSERT_FALSE(parsed.problems.empty());
    const bool found =
        std::any_of(parsed.problems.begin(), parsed.problems.end(), [&](const LoadProblem& p) {
          return p.is_error() && p.path == "case.xml" &&
                 p.message.find(test.message) != std::string::npos;
        });
    EXPECT_TRUE(found) << "expected \"" << test.message << "\" in:\n"
                       << describe_all(parsed.problems);
  }
}

TEST(ObjectRegistry, DeeplyNestedElementsAreRefused) {
  std::string xml = "<LWM2M><Object><Name>";
  for (int i = 0; i < 1000; ++i) xml += "<a>";
  const auto parsed = parse_object_definitions(xml, "deep.xml");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_NE(parsed.problems[0].message.find("XML_ELEMENT_DEPTH_EXCEEDED"), std::string::npos)
      << parsed.problems[0].message;
}

TEST(ObjectRegistry, AcceptsTheOmaVariations) {
  // CDATA text, blanks around values, a versioned URN, extra elements, an object without
  // resources and several objects in one document.
  const std::string xml = R"(<?xml version="1.0"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Object ObjectType="MODefinition">
    <Name><![CDATA[Temperature]]></Name>
    <ObjectID>
      3303
    </ObjectID>
    <ObjectURN>urn:oma:lwm2m:ext:3303:1.1</ObjectURN>
    <LWM2MVersion>1.0</LWM2MVersion>
    <ObjectVersion>1.1</ObjectVersion>
    <MultipleInstances> Multiple </MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="5700"><Name>Sensor Value</Name><Operations> R </Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>
        <!-- a comment --><Type>Float</Type></Item>
      <Item ID="5750"><Name>Application Type</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>String</Type></Item>
    </Resources>
  </Object>
  <Object ObjectType="MODefinition">
    <Name>Empty</Name><ObjectID>32769</ObjectID><ObjectURN>urn:oma:lwm2m:x:32769</ObjectURN>
    <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
    <Resources/>
  </Object>
</LWM2M>)";
  const auto parsed = parse_object_definitions(xml, "variations.xml");
  EXPECT_TRUE(parsed.problems.empty()) << describe_all(parsed.problems);
  ASSERT_EQ(parsed.objects.size(), 2u);
  EXPECT_EQ(parsed.objects[0].id, 3303);
  EXPECT_EQ(parsed.objects[0].name, "Temperature");
  EXPECT_EQ(parsed.objects[0].urn, "urn:oma:lwm2m:ext:3303:1.1");
  EXPECT_TRUE(parsed.objects[0].multiple);
  ASSERT_NE(parsed.objects[0].find(5700), nullptr);
  EXPECT_TRUE(parsed.objects[0].find(5700)->readable);
  EXPECT_EQ(parsed.objects[0].find(5700)->type, ResourceType::Float);
  EXPECT_EQ(parsed.objects[1].id, 32769);
  EXPECT_TRUE(parsed.objects[1].resources.empty());
}

TEST(ObjectRegistry, ProblemsPerFileAreCapped) {
  std::string items;
  for (int i = 0; i < 500; ++i) items += item_xml(std::to_string(i), "V", "R", "Bogus");
  const auto parsed = parse_object_definitions(object_xml("3303", "X", items), "many.xml");
  EXPECT_LE(parsed.problems.size(), 20u);
  EXPECT_NE(parsed.problems.back().message.find("at most 20 problems"), std::string::npos);
}

TEST(ObjectRegistry, OversizedFilesAreRefused) {
  TempDirectory directory;
  directory.write("huge.xml", std::string(5 * 1024 * 1024, ' '));
  const auto load = ObjectRegistry::load(directory.path());
  ASSERT_EQ(load.problems.size(), 1u);
  EXPECT_EQ(load.problems[0].path.filename(), "huge.xml");
  EXPECT_NE(load.problems[0].message.find("larger than"), std::string::npos);
}

// Random bytes and every kind of truncation of a real file: each either loads or gives a
// problem, never a crash (the sanitizer build checks for memory errors too).
TEST(ObjectRegistry, FuzzedInputNeverCrashes) {
  const std::string device = read_file(shipped_definitions / "LWM2M_Device-v1_0.xml");
  ASSERT_FALSE(device.empty());
  std::mt19937 random(20260508);  // fixed seed: failures must be reproducible

  std::size_t loaded = 0;
  std::size_t refused = 0;
  const auto check = [&](const std::string& input) {
    const auto parsed = parse_object_definitions(input, "fuzz.xml");
    if (parsed.problems.empty()) {
      ++loaded;
    } else {
      ++refused;
      EXPECT_TRUE(parsed.objects.empty());
    }
  };

  for (std::size_t length = 0; length <= device.size(); length += 7) {
    check(device.substr(0, length));
  }
  check(device);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 300; ++round) {
    std::string noise(std::uniform_int_distribution<std::size_t>(0, 2000)(random), '\0');
    for (char& c : noise) c = static_cast<char>(byte(random));
    check(noise);
    // Flip a few bytes of the real file: hits the field checks, not only the XML parser.
    std::string mutated = device;
    for (int flip = 0; flip < 4; ++flip) {
      const std::size_t at =
          std::uniform_int_distribution<std::size_t>(0, mutated.size() - 1)(random);
      mutated[at] = static_cast<char>(byte(random));
    }
    check(mutated);
  }
  EXPECT_GE(loaded, 1u);
  EXPECT_GE(refused, 100u);

  // And through the directory loader: a truncated file next to a good one.
  TempDirectory directory;
  directory.write("a.xml", device.substr(0, device.size() / 2));
  directory.write("b.xml", read_file(shipped_definitions / "LWM2M_Server-v1_0.xml"));
  const auto load = ObjectRegistry::load(directory.path());
  ASSERT_EQ(load.problems.size(), 1u) << describe_all(load.problems);
  EXPECT_EQ(load.problems[0].path.filename(), "a.xml");
  EXPECT_NE(load.registry->find(1), nullptr);
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m

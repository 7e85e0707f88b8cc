#include "core/auth/acl_file.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/auth/acl_rule.hpp"
#include "core/router/topic.hpp"

namespace gatemq::auth {
namespace {

using acl_detail::Rule;
using acl_detail::TopicRule;
using acl_detail::Who;

// 'and'/'or' recurse; a hostile file must not be able to exhaust the stack.
constexpr int kMaxWhoNesting = 16;

struct Token {
  enum class Kind {
    open_brace,
    close_brace,
    open_bracket,
    close_bracket,
    comma,
    dot,
    atom,
    string,
    end
  };
  Kind kind = Kind::end;
  std::string text;  // atom name or string contents
  std::size_t line = 1;
};

// Printable and short, whatever bytes the file holds.
std::string quoted_for_message(std::string_view text, char quote) {
  constexpr std::size_t kMaxShown = 40;
  std::string shown(1, quote);
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    shown.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (text.size() > kMaxShown) shown += "...";
  shown.push_back(quote);
  return shown;
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case Token::Kind::open_brace:
      return "'{'";
    case Token::Kind::close_brace:
      return "'}'";
    case Token::Kind::open_bracket:
      return "'['";
    case Token::Kind::close_bracket:
      return "']'";
    case Token::Kind::comma:
      return "','";
    case Token::Kind::dot:
      return "'.'";
    case Token::Kind::atom:
      return "atom " + quoted_for_message(token.text, '\'');
    case Token::Kind::string:
      return "string " + quoted_for_message(token.text, '"');
    case Token::Kind::end:
      return "end of file";
  }
  return "?";
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw AclError(source_ + ":" + std::to_string(line) + ": " + what);
  }

  Token next() {
    skip_blanks_and_comments();
    Token token;
    token.line = line_;
    if (position_ >= text_.size()) return token;
    const char c = text_[position_];
    switch (c) {
      case '{':
        token.kind = Token::Kind::open_brace;
        ++position_;
        return token;
      case '}':
        token.kind = Token::Kind::close_brace;
        ++position_;
        return token;
      case '[':
        token.kind = Token::Kind::open_bracket;
        ++position_;
        return token;
      case ']':
        token.kind = Token::Kind::close_bracket;
        ++position_;
        return token;
      case ',':
        token.kind = Token::Kind::comma;
        ++position_;
        return token;
      case '.':
        token.kind = Token::Kind::dot;
        ++position_;
        return token;
      case '"':
        token.kind = Token::Kind::string;
        token.text = quoted('"');
        return token;
      case '\'':
        token.kind = Token::Kind::atom;
        token.text = quoted('\'');
        return token;
      default:
        break;
    }
    if (c >= 'a' && c <= 'z') {
      token.kind = Token::Kind::atom;
      while (position_ < text_.size() && is_atom_char(text_[position_])) {
        token.text.push_back(text_[position_++]);
      }
      return token;
    }
    fail(line_,
         "expected a rule term, found " + quoted_for_message(text_.substr(position_, 1), '\''));
  }

 private:
  static bool is_atom_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '@';
  }

  void skip_blanks_and_comments() {
    while (position_ < text_.size()) {
      const char c = text_[position_];
      if (c == '\n') {
        ++line_;
        ++position_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++position_;
      } else if (c == '%') {
        while (position_ < text_.size() && text_[position_] != '\n') ++position_;
      } else {
        return;
      }
    }
  }

  // A quoted string or atom; only \" \' and \\ escapes, the rest are syntax errors.
  std::string quoted(char quote) {
    const std::size_t start_line = line_;
    ++position_;
    std::string contents;
    while (true) {
      if (position_ >= text_.size()) {
        fail(start_line, std::string("expected a closing ") + quote + " for the text started here");
      }
      const char c = text_[position_++];
      if (c == quote) return contents;
      if (c == '\n') ++line_;
      if (c == '\\') {
        if (position_ >= text_.size()) continue;  // reported as unterminated above
        const char escaped = text_[position_++];
        if (escaped != '"' && escaped != '\'' && escaped != '\\') {
          fail(line_, "expected \\\", \\' or \\\\ as escape, found " +
                          quoted_for_message(std::string_view(&escaped, 1), '\''));
        }
        contents.push_back(escaped);
        continue;
      }
      contents.push_back(c);
    }
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t position_ = 0;
  std::size_t line_ = 1;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : lexer_(text, source) { advance(); }

  std::vector<Rule> rules() {
    std::vector<Rule> rules;
    while (current_.kind != Token::Kind::end) rules.push_back(rule());
    return rules;
  }

 private:
  void advance() {
    previous_line_ = current_.line;
    current_ = lexer_.next();
  }

  [[noreturn]] void expected(const std::string& what) const {
    lexer_.fail(current_.line, "expected " + what + ", found " + describe(current_));
  }

  void expect(Token::Kind kind, const char* what) {
    if (current_.kind != kind) expected(what);
    advance();
  }

  std::string atom(const char* what) {
    if (current_.kind != Token::Kind::atom) expected(what);
    auto name = current_.text;
    advance();
    return name;
  }

  std::string string(const char* what) {
    if (current_.kind != Token::Kind::string) expected(what);
    auto text = current_.text;
    advance();
    return text;
  }

  Rule rule() {
    Rule rule;
    expect(Token::Kind::open_brace, "'{' starting a rule");
    const auto permission_line = current_.line;
    const auto permission = atom("allow or deny");
    if (permission == "allow") {
      rule.permission = Decision::allow;
    } else if (permission == "deny") {
      rule.permission = Decision::deny;
    } else {
      lexer_.fail(permission_line,
                  "expected allow or deny, found atom " + quoted_for_message(permission, '\''));
    }
    expect(Token::Kind::comma, "',' after allow/deny");
    rule.who = who(0);
    if (current_.kind == Token::Kind::close_brace) {
      rule.every_access_and_topic = true;
    } else {
      expect(Token::Kind::comma, "'}' or ',' after who");
      access(rule);
      expect(Token::Kind::comma, "',' after the access");
      rule.topics = topics();
    }
    expect(Token::Kind::close_brace, "'}' closing the rule");
    // A forgotten dot shows up on the next rule's line; point at the rule that lacks it.
    if (current_.kind != Token::Kind::dot) {
      lexer_.fail(previous_line_, "expected '.' after the rule, found " + describe(current_));
    }
    advance();
    return rule;
  }

  void access(Rule& rule) {
    const auto line = current_.line;
    const auto name = atom("subscribe, publish or pubsub");
    if (name == "subscribe" || name == "pubsub") rule.subscribe = true;
    if (name == "publish" || name == "pubsub") rule.publish = true;
    if (!rule.subscribe && !rule.publish) {
      lexer_.fail(line, "expected subscribe, publish or pubsub, found atom " +
                            quoted_for_message(name, '\''));
    }
  }

  Who who(int depth) {
    constexpr const char* kWhoForms =
        "all, {user, \"...\"}, {client, \"...\"}, {clientid, \"...\"}, {ipaddr, \"...\"}, "
        "{'and', [...]} or {'or', [...]}";
    if (depth > kMaxWhoNesting) {
      lexer_.fail(current_.line,
                  "expected 'and'/'or' nested at most " + std::to_string(kMaxWhoNesting) + " deep");
    }
    Who who;
    if (current_.kind == Token::Kind::atom && current_.text == "all") {
      advance();
      return who;
    }
    if (current_.kind != Token::Kind::open_brace) expected(kWhoForms);
    advance();
    const auto kind_line = current_.line;
    const auto kind = atom(kWhoForms);
    expect(Token::Kind::comma, "',' after the who kind");
    if (kind == "user" || kind == "client" || kind == "clientid") {
      who.kind = kind == "user" ? Who::Kind::user : Who::Kind::client;
      who.name = string("a quoted name");
    } else if (kind == "ipaddr") {
      const auto line = current_.line;
      const auto text = string("a quoted IP address or CIDR");
      const auto range = acl_detail::parse_ip_range(text);
      if (!range) {
        lexer_.fail(line, "expected an IP address or CIDR, found " + quoted_for_message(text, '"'));
      }
      who.kind = Who::Kind::ipaddr;
      who.range = *range;
    } else if (kind == "and" || kind == "or") {
      who.kind = kind == "and" ? Who::Kind::all_of : Who::Kind::any_of;
      expect(Token::Kind::open_bracket, "'[' starting the list of who terms");
      // An empty list would make 'and' match everybody: refuse rather than guess.
      who.members.push_back(this->who(depth + 1));
      while (current_.kind == Token::Kind::comma) {
        advance();
        who.members.push_back(this->who(depth + 1));
      }
      expect(Token::Kind::close_bracket, "',' or ']' in the list of who terms");
    } else {
      lexer_.fail(kind_line, std::string("expected ") + kWhoForms + ", found atom " +
                                 quoted_for_message(kind, '\''));
    }
    expect(Token::Kind::close_brace, "'}' closing the who term");
    return who;
  }

  std::vector<TopicRule> topics() {
    std::vector<TopicRule> topics;
    expect(Token::Kind::open_bracket, "'[' starting the topic list");
    if (current_.kind == Token::Kind::close_bracket) {
      advance();
      return topics;
    }
    while (true) {
      topics.push_back(topic());
      if (current_.kind != Token::Kind::comma) break;
      advance();
    }
    expect(Token::Kind::close_bracket, "',' or ']' in the topic list");
    return topics;
  }

  TopicRule topic() {
    TopicRule topic;
    if (current_.kind == Token::Kind::open_brace) {
      advance();
      const auto line = current_.line;
      if (atom("eq") != "eq") lexer_.fail(line, "expected eq in {eq, \"topic\"}");
      expect(Token::Kind::comma, "',' after eq");
      topic.exact = true;
      topic.filter = valid_filter();
      expect(Token::Kind::close_brace, "'}' closing {eq, ...}");
      return topic;
    }
    topic.filter = valid_filter();
    return topic;
  }

  std::string valid_filter() {
    const auto line = current_.line;
    auto filter = string("a quoted topic filter or {eq, \"...\"}");
    if (!router::is_valid_topic_filter(filter, 0)) {
      lexer_.fail(line, "expected a valid topic filter, found " + quoted_for_message(filter, '"'));
    }
    return filter;
  }

  Lexer lexer_;
  Token current_;
  std::size_t previous_line_ = 1;
};

}  // namespace

AclRules::AclRules() = default;
AclRules::~AclRules() = default;
AclRules::AclRules(AclRules&&) noexcept = default;
AclRules& AclRules::operator=(AclRules&&) noexcept = default;
AclRules::AclRules(const AclRules&) = default;
AclRules& AclRules::operator=(const AclRules&) = default;

AclRules AclRules::parse(std::string_view text, const std::string& source) {
  AclRules rules;
  rules.rules_ = Parser(text, source).rules();
  return rules;
}

AclRules AclRules::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw AclError(path + ": cannot open the ACL file");
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) throw AclError(path + ": cannot read the ACL file");
  return parse(contents.str(), path);
}

Decision AclRules::check(const AclClient& client, Access access, std::string_view topic,
                         SubscribeMatch match) const {
  for (const auto& rule : rules_) {
    if (acl_detail::rule_matches(rule, client, access, topic, match)) return rule.permission;
  }
  return Decision::nomatch;
}

std::size_t AclRules::size() const {
  return rules_.size();
}

}  // namespace gatemq::auth

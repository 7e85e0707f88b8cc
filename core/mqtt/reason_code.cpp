#include "core/mqtt/reason_code.hpp"

namespace gatemq::mqtt::rc {

std::string_view name(std::uint8_t code) {
  switch (code) {
    case kSuccess:
      return "Success";
    case kGrantedQos1:
      return "Granted QoS 1";
    case kGrantedQos2:
      return "Granted QoS 2";
    case kDisconnectWithWill:
      return "Disconnect with Will Message";
    case kNoMatchingSubscribers:
      return "No matching subscribers";
    case kNoSubscriptionExisted:
      return "No subscription existed";
    case kContinueAuthentication:
      return "Continue authentication";
    case kReAuthenticate:
      return "Re-authenticate";
    case kUnspecifiedError:
      return "Unspecified error";
    case kMalformedPacket:
      return "Malformed Packet";
    case kProtocolError:
      return "Protocol Error";
    case kImplementationSpecificError:
      return "Implementation specific error";
    case kUnsupportedProtocolVersion:
      return "Unsupported Protocol Version";
    case kClientIdentifierNotValid:
      return "Client Identifier not valid";
    case kBadUserNameOrPassword:
      return "Bad User Name or Password";
    case kNotAuthorized:
      return "Not authorized";
    case kServerUnavailable:
      return "Server unavailable";
    case kServerBusy:
      return "Server busy";
    case kBanned:
      return "Banned";
    case kServerShuttingDown:
      return "Server shutting down";
    case kBadAuthenticationMethod:
      return "Bad authentication method";
    case kKeepAliveTimeout:
      return "Keep Alive timeout";
    case kSessionTakenOver:
      return "Session taken over";
    case kTopicFilterInvalid:
      return "Topic Filter invalid";
    case kTopicNameInvalid:
      return "Topic Name invalid";
    case kPacketIdentifierInUse:
      return "Packet Identifier in use";
    case kPacketIdentifierNotFound:
      return "Packet Identifier not found";
    case kReceiveMaximumExceeded:
      return "Receive Maximum exceeded";
    case kTopicAliasInvalid:
      return "Topic Alias invalid";
    case kPacketTooLarge:
      return "Packet too large";
    case kMessageRateTooHigh:
      return "Message rate too high";
    case kQuotaExceeded:
      return "Quota exceeded";
    case kAdministrativeAction:
      return "Administrative action";
    case kPayloadFormatInvalid:
      return "Payload format invalid";
    case kRetainNotSupported:
      return "Retain not supported";
    case kQosNotSupported:
      return "QoS not supported";
    case kUseAnotherServer:
      return "Use another server";
    case kServerMoved:
      return "Server moved";
    case kSharedSubscriptionsNotSupported:
      return "Shared Subscriptions not supported";
    case kConnectionRateExceeded:
      return "Connection rate exceeded";
    case kMaximumConnectTime:
      return "Maximum connect time";
    case kSubscriptionIdentifiersNotSupported:
      return "Subscription Identifiers not supported";
    case kWildcardSubscriptionsNotSupported:
      return "Wildcard Subscriptions not supported";
    default:
      return "Unknown reason code";
  }
}

}  // namespace gatemq::mqtt::rc

// The seed scenario of Liferay's message bus guide, in C++:
// N8K5CharlieMessageListener on the serial destination acme/n8k5_able
// answers N8K5Baker#_activate by replying to the response destination
// acme/n8k5_baker, where the N8K5Baker listener logs the reply.
//
// g++ -std=c++17 seed.cpp $(pkg-config --cflags --libs msgbus) -pthread -o seed
#include <msgbus.hpp>

#include <future>
#include <iostream>
#include <string>

static void log_info(const std::string &class_name, const std::string &text) {
  std::string thread = msgbus::thread_name();
  std::cout << "INFO [" << (thread.empty() ? "main" : thread) << "][" << class_name << "] " << text
            << std::endl;
}

int main() {
  msgbus::Bus bus;
  bus.add_destination("acme/n8k5_able", msgbus::DestinationType::Serial);
  bus.add_destination("acme/n8k5_baker", msgbus::DestinationType::Serial);

  auto charlie = bus.register_listener("acme/n8k5_able", [&bus](msgbus::MessageRef message) {
    log_info("N8K5CharlieMessageListener",
             "Received message payload " + std::string(message.payload().as_string()));
    bus.reply(message, "N8K5CharlieMessageListener");
  });
  std::promise<void> replied;
  auto baker = bus.register_listener("acme/n8k5_baker", [&replied](msgbus::MessageRef message) {
    log_info("N8K5Baker", "Received message payload " + std::string(message.payload().as_string()));
    replied.set_value();
  });

  msgbus::Message message("N8K5Baker#_activate");
  message.set_response_destination_name("acme/n8k5_baker");
  log_info("N8K5Baker", "Sending message payload N8K5Baker#_activate");
  bus.send("acme/n8k5_able", message);
  replied.get_future().wait();
  bus.shutdown();
}

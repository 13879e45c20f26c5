// fusim_output_fields: prints docs/reference/output-fields.md, the table of every output field,
// from the stats registrations. The output_fields_doc test holds the committed page equal to it.
#include <iostream>

#include "report.h"

int main() {
  std::cout << fusim::output_fields_markdown();
  return 0;
}

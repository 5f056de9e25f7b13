// SPDX-License-Identifier: Apache-2.0
extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }

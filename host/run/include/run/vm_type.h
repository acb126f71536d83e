/*
 * The two kinds of VM every backend runs. Its own header so that a
 * backend's VM code (host/kvm) needs nothing else of run/run.h.
 */
#ifndef RUN_VM_TYPE_H
#define RUN_VM_TYPE_H

enum vm_type { VM_NORMAL, VM_REALM };

#endif

//! The shipped attribution weights (generated; do not edit by hand).
//!
//! Regenerate with `cargo run --release -p rootspan-analysis --example fit_attribution -- ../shared/data`
//! after changing the features. Fitted on 107 labelled dev logs.

use super::model::{AttributionModel, ShapeWeights};

pub const SHIPPED: AttributionModel = AttributionModel {
    orchestrated: ShapeWeights {
        step: [
            -0.5972892113351893,   // first_response
            0.0,                   // opening
            -0.2882414096317852,   // relative_position
            1.048232319811416,     // worker
            0.46507511804172,      // first_worker_message
            0.6289355178266408,    // second_worker_message
            0.06914174407041883,   // code
            -0.027284536014311914, // executed
            0.0,                   // execution_failed
            0.0,                   // tool_call
            0.0,                   // first_write_action
            0.1990311557488265,    // new_facts_unbacked
            -0.06497587730178539,  // new_facts_backed
            -0.4445879754042497,   // hedged
            0.6618174473045687,    // unbacked_conclusion
            0.5884746722227345,    // answer_origin
            -0.3546374439266347,   // challenged
            0.0,                   // detector_root_cause
            -0.12913944249101145,  // delegates
            0.19596683851075056,   // length
        ],
        agent: [
            0.4101296895123691, // content_share
            -0.202414007835856, // code_share
            0.3362699197097459, // first_worker
            0.3095698820877572, // step_blame
        ],
    },
    group_chat: ShapeWeights {
        step: [
            0.1062185170956347,   // first_response
            -1.0518191779306314,  // opening
            0.30436281137708593,  // relative_position
            0.0,                  // worker
            0.0,                  // first_worker_message
            0.0,                  // second_worker_message
            0.6774516738783207,   // code
            0.10133344114425845,  // executed
            0.1667462757990059,   // execution_failed
            0.0,                  // tool_call
            0.0,                  // first_write_action
            0.5827970524030817,   // new_facts_unbacked
            0.11026900687673058,  // new_facts_backed
            0.641580585557133,    // hedged
            -0.25425666634207683, // unbacked_conclusion
            0.0,                  // answer_origin
            0.1313951435297084,   // challenged
            0.0,                  // detector_root_cause
            0.0,                  // delegates
            0.08213700591105492,  // length
        ],
        agent: [
            0.8070730172176578, // content_share
            0.7690474944896539, // code_share
            0.0,                // first_worker
            1.3246643740350212, // step_blame
        ],
    },
    tool_use: ShapeWeights {
        step: [
            -0.4224084076560491,   // first_response
            0.0,                   // opening
            0.19023984941348793,   // relative_position
            0.0,                   // worker
            0.0,                   // first_worker_message
            0.0,                   // second_worker_message
            0.0,                   // code
            2.220446049250313e-16, // executed
            0.47193346495046884,   // execution_failed
            0.007402855570319758,  // tool_call
            1.1999088177494135,    // first_write_action
            0.0,                   // new_facts_unbacked
            0.15975241717457686,   // new_facts_backed
            -0.09977760491860926,  // hedged
            0.0,                   // unbacked_conclusion
            0.0,                   // answer_origin
            0.0,                   // challenged
            0.5106049888969781,    // detector_root_cause
            0.0,                   // delegates
            0.13033600539528326,   // length
        ],
        agent: [
            0.0, // content_share
            0.0, // code_share
            0.0, // first_worker
            0.0, // step_blame
        ],
    },
};

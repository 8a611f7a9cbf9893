//! Issue 19: names beside pictures as real school sites write them, each
//! shape on a small site of invented names.

use crate::support::*;

#[tokio::test]
async fn a_placeholder_on_every_staff_profile_is_not_named_by_their_titles() {
    // A WordPress staff directory: each profile's title names its person;
    // those without a photo show one placeholder. The profile with a
    // photo of its own keeps its title's name.
    let profile = |name: &str, img: &str| {
        format!(
            "<html><head><title>{name} - Staff - Oakfield School</title></head><body>\
             <main><h1>{name}</h1><img src='{img}'><p>Joined the school in 2019.</p></main></body></html>"
        )
    };
    let site =
        Site::start(vec![
        (
            "/",
            html(
                "<html><body><a href='/staff/anna-able/'>A</a><a href='/staff/ben-baker/'>B</a>\
                 <a href='/staff/cara-cole/'>C</a><a href='/staff/dylan-rees/'>D</a></body></html>",
            ),
        ),
        ("/staff/anna-able/", html(&profile("Anna Able", "/img/placeholder.png"))),
        ("/staff/ben-baker/", html(&profile("Ben Baker", "/img/placeholder.png"))),
        ("/staff/cara-cole/", html(&profile("Cara Cole", "/img/placeholder.png"))),
        ("/staff/dylan-rees/", html(&profile("Dylan Rees", "/img/dylan.jpg"))),
        ("/img/placeholder.png", jpeg(resized_jpeg("coffee.png", 300, 85))),
        ("/img/dylan.jpg", jpeg(resized_jpeg("grace_hopper.jpg", 300, 85))),
    ])
        .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let a = audit(&cfg).await;
    let placeholder = names_on(exposure_with(&a.report, "/img/placeholder.png"));
    assert!(
        placeholder.iter().all(|(_, w)| w != "page_title"),
        "{placeholder:?}"
    );
    let dylan = names_on(exposure_with(&a.report, "/img/dylan.jpg"));
    assert!(
        dylan.contains(&("Dylan Rees".to_string(), "page_title".to_string())),
        "{dylan:?}"
    );
}

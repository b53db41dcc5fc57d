"""What the demo federation is made of: its clubs, people's names, demands, and how its opinion camps lean."""

from __future__ import annotations

FEDERATION_SLUG = "zacatecanos-sur-california"
FEDERATION_NAME = "Federación de Clubes Zacatecanos del Sur de California"
EMAIL_DOMAIN = "demo.example.org"
DEMO_PASSWORD = "demo-federacion-2026"  # noqa: S105 - the demo's published password

# (name, hometown, city in California, year founded)
CLUBS = [
    ("Club Jerez de García Salinas", "Jerez", "Los Angeles", 1987),
    ("Club Social Tlaltenango", "Tlaltenango de Sánchez Román", "Santa Ana", 1991),
    ("Club Nochistlán Unido", "Nochistlán de Mejía", "Pomona", 1995),
    ("Club Juchipila", "Juchipila", "Lynwood", 1989),
    ("Club Jalpa Zacatecas", "Jalpa", "Riverside", 2001),
    ("Club Valparaíso", "Valparaíso", "Anaheim", 1998),
    ("Club Fresnillo en Long Beach", "Fresnillo", "Long Beach", 2005),
    ("Club Sombrerete", "Sombrerete", "Huntington Park", 2010),
]
WOMEN = [
    "María", "Guadalupe", "Juana", "Margarita", "Verónica", "Rosa", "Leticia", "Patricia", "Elena", "Josefina",
    "Teresa", "Alejandra", "Claudia", "Silvia", "Araceli", "Yolanda", "Norma", "Adriana", "Gabriela", "Lucía",
    "Brenda", "Karina", "Marisol", "Carmen", "Rocío", "Sandra", "Irma", "Laura", "Ana", "Beatriz", "Mónica",
    "Esperanza", "Dolores", "Cristina", "Natalia",
]
MEN = [
    "José", "Juan", "Francisco", "Jesús", "Antonio", "Manuel", "Pedro", "Miguel", "Rafael", "Ramón", "Javier",
    "Alfredo", "Salvador", "Roberto", "Eduardo", "Ricardo", "Fernando", "Sergio", "Arturo", "Héctor", "Martín",
    "Raúl", "Jorge", "Luis", "Carlos", "Gerardo", "Enrique", "Efraín", "Ignacio", "Rubén", "Guillermo", "Alberto",
    "Ernesto", "Armando", "Daniel", "Óscar", "Víctor", "Tomás", "Abel", "Benjamín", "Rodolfo", "Joaquín",
    "Felipe", "Andrés", "Gilberto",
]
SURNAMES = [
    "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez", "Flores",
    "Delgado", "Castañeda", "Ávila", "Robles", "Escobedo", "Sandoval", "Villalobos", "Muro", "Haro", "Carrillo",
]


CONSULTATION_TITLE_ES = "Agenda 2027 de la Federación"
CONSULTATION_TITLE_EN = "2027 Federation Agenda"

# (club index, language, category slug, target, theme, title, body). Near-duplicates across clubs on purpose.
DEMANDS: list[tuple[int, str, str, str, str, str, str]] = [
    (0, "es", "health", "mexican_state", "health", "Un médico de planta para la clínica de Jerez",
     "La clínica de salud de la comunidad solo tiene doctor dos días por semana. Las señoras grandes tienen que "
     "ir hasta Zacatecas para una consulta. Pedimos al gobierno del estado **un médico de planta** y medicinas "
     "básicas."),
    (3, "es", "health", "mexican_state", "health", "Doctor permanente en el centro de salud de Juchipila",
     "El centro de salud pasa semanas sin médico. Proponemos que la Secretaría de Salud asigne un doctor "
     "permanente y que el club ayude con el equipo."),
    (6, "en", "health", "mexican_state", "health", "A full-time doctor and an ambulance for Fresnillo's villages",
     "Our relatives in the rancherías wait hours for an ambulance. We ask the state for a full-time doctor and "
     "one ambulance shared by the villages."),
    (4, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Agua potable para la comunidad de "
     "Jalpa", "Hace falta rehabilitar el pozo y poner la red de agua potable en los barrios de arriba. Hay "
     "familias que compran pipas cada semana."),
    (2, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Red de agua potable en Nochistlán",
     "Pedimos terminar la red de agua potable y arreglar el tanque elevado. Con el 3x1 el club puede poner su "
     "parte."),
    (0, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Pavimentar el camino de Jerez a "
     "Los Haro", "El camino se hace lodazal en tiempo de aguas y los niños no pueden llegar a la escuela. "
     "Proponemos pavimentarlo con un proyecto 3x1."),
    (1, "es", "hometown-infrastructure", "mexican_state", "infra", "Arreglar la carretera a Tlaltenango",
     "La carretera tiene baches peligrosos; ya hubo accidentes. Que el estado la repare antes de las fiestas de "
     "enero, cuando bajan los paisanos."),
    (5, "en", "hometown-infrastructure", "hometown_municipality", "infra", "Pave the road to Valparaíso's "
     "ranchos", "The dirt road floods every rainy season. Paving it would let families bring their harvest to "
     "town and kids get to school."),
    (7, "es", "hometown-infrastructure", "hometown_municipality", "infra", "Drenaje y alumbrado en Sombrerete",
     "Las colonias nuevas no tienen drenaje ni alumbrado público. Pedimos un plan con el municipio y el club."),
    (4, "es", "education", "mexican_state", "youth", "Becas para estudiantes de prepa en Jalpa",
     "Muchos jóvenes dejan la prepa para irse al norte. Proponemos becas de transporte y útiles, pagadas entre "
     "el club y el gobierno del estado."),
    (3, "es", "education", "mexican_state", "youth", "Becas universitarias para jóvenes de Juchipila",
     "Que el programa de becas cubra a los hijos de migrantes que se quedaron allá, para que puedan estudiar en "
     "la universidad de Zacatecas."),
    (6, "en", "education", "us_state", "youth", "College scholarships for children of club members in "
     "California", "Our kids here also need help: a federation scholarship fund, and help applying for Cal "
     "Grant and the California Dream Act."),
    (1, "es", "migration-legal-help", "consulate", "rights", "Consulado móvil en Santa Ana para matrículas y "
     "pasaportes", "Muchas familias no pueden faltar al trabajo para ir al consulado. Pedimos un consulado "
     "móvil cada tres meses en el salón del club."),
    (4, "es", "migration-legal-help", "consulate", "rights", "Necesitamos un mobile consulate en Riverside",
     "Para sacar la matrícula consular y el passport hay que manejar hasta San Bernardino y las citas se "
     "acaban. Un mobile consulate en Riverside ayudaría mucho a la raza."),
    (2, "en", "migration-legal-help", "consulate", "rights", "Consular ID and passport appointments in Pomona",
     "Appointments run out in minutes. We ask the consulate for a monthly mobile office in Pomona with "
     "appointments reserved for elders."),
    (3, "en", "migration-legal-help", "us_federal", "rights", "Free legal help for DACA renewals",
     "Many of our young members have DACA. We ask the federation to organise free legal clinics for renewals "
     "and to press Congress for a permanent solution."),
    (0, "es", "migration-legal-help", "us_city", "rights", "Asesoría legal gratuita para DACA y ciudadanía",
     "Que la federación tenga convenios con abogados y la ciudad de Los Ángeles para talleres gratis de DACA, "
     "ciudadanía y defensa contra fraudes de notarios."),
    (6, "es", "migration-legal-help", "consulate", "rights", "Que el consulado ayude con la doble nacionalidad",
     "Nuestros hijos nacidos aquí necesitan su acta mexicana. Pedimos jornadas de doble nacionalidad en Long "
     "Beach."),
    (7, "en", "migration-legal-help", "us_state", "rights", "Know-your-rights workshops in Huntington Park",
     "Families are afraid after the raids. We ask the state and the federation for know-your-rights workshops "
     "and a hotline in Spanish."),
    (1, "es", "economy-remittances", "us_federal", "econ", "Bajar las comisiones de las remesas",
     "Las empresas cobran mucho por enviar dinero y por el tipo de cambio. Pedimos que la federación negocie "
     "tarifas más bajas y que se informe cuál conviene."),
    (5, "en", "economy-remittances", "us_federal", "econ", "Lower remittance fees for our families",
     "Sending 300 dollars can cost 15 in fees and a bad exchange rate. We want a campaign for lower remittance "
     "fees and a comparison of services."),
    (2, "es", "economy-remittances", "mexican_federal", "econ", "Que regrese el Programa 3x1 para Migrantes",
     "Desde que se acabó el 3x1 los clubes ya no tienen con quién hacer obras. Pedimos al gobierno federal que "
     "regrese el programa o uno parecido."),
    (0, "es", "economy-remittances", "mexican_state", "econ", "Un programa estatal 2x1 para obras de los clubes",
     "Mientras no haya 3x1 federal, que el gobierno de Zacatecas ponga un peso por cada peso del club para "
     "obras comunitarias."),
    (4, "es", "economy-remittances", "hometown_municipality", "pueblo_only", "Que los fondos 3x1 sean solo para "
     "agua y caminos", "Las obras de agua y caminos son lo más urgente. Proponemos que el dinero de los "
     "proyectos tipo 3x1 no se use en fiestas ni en otras cosas."),
    (5, "es", "women", "mexican_state", "women_money", "Que el 20% de los proyectos 3x1 sea para "
     "cooperativas de mujeres", "Las mujeres de los pueblos sostienen a las familias. Pedimos que una parte "
     "fija de los proyectos sea para sus cooperativas."),
    (3, "es", "women", "mexican_state", "women", "Apoyo a la cooperativa de mujeres de Juchipila",
     "La cooperativa hace dulces y conservas. Pedimos capacitación, un local y ayuda para vender aquí en "
     "California."),
    (7, "es", "women", "hometown_municipality", "women", "Taller de costura para las señoras de Sombrerete",
     "Con máquinas y una maestra, las señoras pueden tener un ingreso propio. El club puede juntar para las "
     "máquinas."),
    (1, "en", "women", "us_city", "women", "Women on the board of every club",
     "Most clubs are run by men. We propose that every club have at least one woman officer and that the "
     "federation train new women leaders."),
    (6, "es", "women", "us_state", "women", "Guardería para las socias que trabajan",
     "Muchas socias no pueden ir a las juntas porque no tienen quién cuide a los niños. Pedimos guardería en "
     "las juntas y eventos."),
    (0, "es", "culture-sport", "hometown_municipality", "culture", "Rescatar la Feria de Jerez y la tamborada",
     "La tradición se está perdiendo. Pedimos apoyo para la tamborada, la banda y los grupos de danza de la "
     "feria."),
    (2, "en", "culture-sport", "us_city", "youth", "A youth soccer league for the clubs' kids",
     "A federation league on Saturdays in Pomona would keep kids active and connected to their roots. We need "
     "fields, uniforms and referees."),
    (5, "es", "culture-sport", "us_city", "youth", "Liga de fútbol juvenil de la federación",
     "Que la federación organice una liga de fútbol para los jóvenes de todos los clubes, con uniformes y "
     "canchas en Anaheim."),
    (7, "en", "culture-sport", "us_city", "culture", "Ballet folklórico classes for the kids",
     "Our children are losing the language and the dances. Weekly folklórico and Spanish classes at the club "
     "would help."),
    (3, "es", "culture-sport", "us_city", "austerity", "Menos dinero en jaripeos y más en becas",
     "Cada año se gasta mucho en jaripeos y bailes. Proponemos que ese dinero se vaya a becas y ayuda legal."),
    (6, "es", "youth", "us_city", "youth", "Talleres para jóvenes: inglés, computación y oficios",
     "Los muchachos que recién llegaron necesitan inglés y un oficio. Pedimos talleres en la tarde en Long "
     "Beach."),
    (4, "en", "youth", "us_state", "youth", "Mental health support for migrant youth",
     "Teens in our families deal with separation and stress. We ask for counselors who speak Spanish and "
     "understand migration."),
    (1, "es", "health", "us_state", "rights", "Que Medi-Cal cubra a todos sin importar papeles",
     "Pedimos a la federación apoyar la ampliación de Medi-Cal para adultos sin papeles y ayudar a las "
     "familias a inscribirse."),
    (2, "es", "health", "us_city", "health", "Ferias de salud en los clubes: diabetes y presión",
     "Muchos paisanos tienen diabetes y no lo saben. Pedimos ferias de salud con pruebas gratis en los "
     "salones de los clubes."),
    (5, "other", "migration-legal-help", "consulate", "rights", "Matrícula y pasaporte: citas para los "
     "abuelitos", "Los abuelitos no saben usar MiConsulado. Necesitamos citas por teléfono y alguien que les "
     "ayude, plis, que el consulado ponga un módulo especial."),
    (7, "other", "economy-remittances", "mexican_federal", "econ", "Remesas sin cobro y con buen tipo de "
     "cambio", "Que el gobierno federal tenga una app para mandar remesas sin fee, porque las companies se "
     "quedan con mucho del dinero que mandamos pa' la familia."),
]

# How likely each opinion camp is to agree with each theme of demand (the rest splits into disagree and pass).
CAMPS = ("pueblo", "aqui", "mujeres")
AGREEMENT = {
    "health": (0.9, 0.7, 0.8),
    "infra": (0.92, 0.45, 0.5),
    "rights": (0.5, 0.95, 0.75),
    "econ": (0.8, 0.65, 0.55),
    "youth": (0.6, 0.85, 0.85),
    "women": (0.4, 0.6, 0.95),
    "culture": (0.85, 0.35, 0.7),
    "pueblo_only": (0.85, 0.2, 0.1),
    "women_money": (0.2, 0.55, 0.95),
    "austerity": (0.2, 0.8, 0.5),
}
CLUB_CAMPS = ("pueblo", "aqui", "pueblo", "aqui", "pueblo", "mujeres", "aqui", "mujeres")
